"""Opening a dispute queues an alert to whoever can act on its reason (core.escalation
.route_dispute), once per dispute: key `dispute/<invoice>/<dispute id>`. It is written in the
same transaction as the dispute, so there is never one without the other."""

from __future__ import annotations

from django.db.models.signals import post_save

from arrears.dunning.models import Dispute, DisputeReason, OutboxAction


def connect() -> None:
    post_save.connect(opened, sender=Dispute, dispatch_uid="exposure.dispute_opened")


def opened(sender, instance: Dispute, created: bool, **kwargs) -> None:
    if created and instance.resolved_on is None:
        queue(instance)


def queue(dispute: Dispute) -> OutboxAction:
    # here, not at the top: this module is imported at start-up (connect), and these are not
    from arrears.core.escalation import recipients as addresses
    from arrears.core.escalation import route_dispute
    from arrears.core.money import format_money
    from arrears.ledger.people import people_of

    invoice = dispute.invoice
    client = invoice.client
    engagement = invoice.contract.engagement if invoice.contract_id else None
    route = route_dispute(dispute.reason, engagement)
    to = addresses(
        route.roles,
        people_of(client.organisation),
        sales_owner=client.sales_owner_email,
        delivery_lead=client.delivery_lead_email,
    )
    label = dict(DisputeReason.choices).get(dispute.reason, dispute.reason)
    row, _ = OutboxAction.objects.get_or_create(
        organisation_id=dispute.organisation_id,
        key=f"dispute/{invoice.number}/{dispute.pk}",
        defaults={
            "client": client,
            "step": "dispute-opened",
            "kind": "escalation",
            "level": "invoice",
            "template": "dispute-opened",
            "policy": client.policy or "default",
            "scheduled_for": dispute.opened_on,
            "to": list(to),
            "reason": f"{invoice.number} disputed: {label}",
            "data": {
                "invoice": invoice.number,
                "outstanding": format_money(invoice.outstanding, invoice.currency),
                "dispute_reason": dispute.reason,
                "dispute_label": label,
                "note": dispute.note,
                "why": route.why,
                "suggestion": route.suggestion,
                "drift": route.drift,
                "routed_to": list(route.roles),
            },
        },
    )
    return row
