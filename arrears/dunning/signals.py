"""What the engine tells other apps.

`step_performed` is sent inside the transaction that marks an action sent, so whatever a
receiver writes (a service level, a fee, the hooks to run next as outbox actions) commits with
it or not at all. Keyword arguments: `organisation`, `action` (the OutboxAction), `invoices`
(the ledger rows it was about, as re-checked right before sending), `steps` (invoice pk ->
the step performed for it: a consolidated message has each invoice at its own step),
`message` (the stored Message, or None for actions that send none), `on` (the plan date) and
`policy` (the action's `core.policy.Policy`, which says what its steps do; None when the
sender has none at hand: a receiver that needs it loads it by `action.policy`).
"""

from django.dispatch import Signal

step_performed = Signal()
