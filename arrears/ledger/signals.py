"""What the ledger tells other apps.

`settled` is sent by `Settler.flush` inside the caller's transaction, after payments, credit
notes or write-offs were allocated, or a payment's allocations were taken back (a reversal:
its invoices owe again): keyword arguments `organisation` and `invoices` (the Invoice rows
whose paid / credited / written-off sums and status just changed). Receivers that react to a
payment (restoring a service level, counting an instalment as paid) do their writes there, so
a payment and its consequences commit together; they read the invoices' new state, which may
be more open than before.
"""

from django.dispatch import Signal

settled = Signal()
