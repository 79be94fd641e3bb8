"""The levers listen to the engine and the ledger (connected in LeversConfig.ready())."""

from __future__ import annotations

from .service import after_lever_step, after_payment, after_plan_miss


def on_step_performed(sender, *, organisation, action, invoices, message, on, **kwargs) -> None:
    """A lever step went out: raise the level to the one it brings (its policy says) and queue
    its hooks, in the transaction that marks the step sent."""
    if action.kind == "lever":
        after_lever_step(organisation, action, invoices, on, kwargs.get("policy"))
    elif action.step == "plan-missed" and (action.data or {}).get("on_miss") == "stop-work":
        after_plan_miss(organisation, action, invoices, on)


def on_settled(sender, *, organisation, invoices, **kwargs) -> None:
    """Payments, credit notes or write-offs: restore clients whose triggering invoices are all
    closed now, in the payment's transaction."""
    after_payment(organisation, invoices)
