"""What the levers add to the words of a message (registered with extensions.add_context):
the notice of a step that brings maintenance mode names the services it reduces and those that
continue."""

from __future__ import annotations

from arrears.channels.email.render import language_of
from arrears.core.levels import Level, services


def maintenance_services(org, action, invoices, on, policy=None) -> dict:
    if policy is None or action.step not in policy.ranks:
        return {}
    if policy.step(action.step).brings != Level.MAINTENANCE:
        return {}
    lang = language_of(action.client.language)
    contract = next((i.contract for i in invoices if i.contract_id), None)
    reduced, continued = (
        services(contract.non_essential_services, contract.essential_services, lang)
        if contract is not None
        else services("", "", lang)
    )
    return {"reduced_services": reduced, "continued_services": continued}
