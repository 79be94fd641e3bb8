"""Who in the organisation hears what: leadership (owners and leadership), accounting (or the
organisation's accounts address when nobody has that role), as the planner and every alert
address them."""

from __future__ import annotations

from arrears.core.planner import People
from arrears.ledger.models import Membership, Organisation, Role


def people_of(org: Organisation) -> People:
    leadership, accounting = [], []
    for email, role in Membership.objects.filter(organisation=org).values_list(
        "user__email", "role"
    ):
        if role in (Role.OWNER, Role.LEADERSHIP):
            leadership.append(email)
        elif role == Role.ACCOUNTING:
            accounting.append(email)
    return People(
        tuple(sorted(leadership)),
        tuple(sorted(accounting)) or (org.accounts_email,),
        org.accounts_email,
    )
