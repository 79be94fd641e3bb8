"""Who hears a step: the client's contacts with the step's roles (`to`, then `cc` without the
addresses already in `to`), or for internal steps the organisation's people behind internal
roles (the sales owner and delivery lead of the client, leadership, accounting), falling back
to the accounts address so that an internal alert always reaches someone."""

from __future__ import annotations

from arrears.core.ledger_state import ClientState, People
from arrears.core.policy import INTERNAL_KINDS, Step

Addresses = tuple[str, ...]


def contacts_with(
    client: ClientState, roles: tuple[str, ...], exclude: Addresses = ()
) -> Addresses:
    """The client's contacts with any of `roles`, in the roles' order, each address once."""
    out: list[str] = []
    for role in roles:
        for contact in client.contacts:
            if role in contact.roles and contact.email not in out and contact.email not in exclude:
                out.append(contact.email)
    return tuple(out)


def internal(client: ClientState, people: People, roles: tuple[str, ...]) -> Addresses:
    """The organisation's addresses behind internal roles, for this client."""
    out: list[str] = []
    for role in roles:
        if role == "sales_owner":
            found: Addresses = (client.sales_owner,) if client.sales_owner else ()
        elif role == "delivery_lead":
            found = (client.delivery_lead,) if client.delivery_lead else ()
        else:
            found = getattr(people, role)
        out.extend(e for e in found if e not in out)
    if not out and people.fallback:
        out.append(people.fallback)
    return tuple(out)


class Recipients:
    """One client's recipients, step by step. The internal addresses are the same for every
    client with the same sales owner and delivery lead, so they are shared (`internal_cache`:
    one per plan)."""

    __slots__ = ("client", "people", "internal_cache", "by_step")

    def __init__(self, client: ClientState, people: People, internal_cache: dict):
        self.client = client
        self.people = people
        self.internal_cache = internal_cache
        self.by_step: dict[int, tuple[Addresses, Addresses]] = {}

    def internal(self, roles: tuple[str, ...]) -> Addresses:
        client = self.client
        key = (roles, client.sales_owner, client.delivery_lead)
        found = self.internal_cache.get(key)
        if found is None:
            found = self.internal_cache[key] = internal(client, self.people, roles)
        return found

    def of(self, step: Step) -> tuple[Addresses, Addresses]:
        """(to, cc) of `step`."""
        found = self.by_step.get(id(step))  # the policies' steps live through the planning
        if found is None:
            if step.kind in INTERNAL_KINDS:
                found = (self.internal(step.to), ())
            else:
                to = contacts_with(self.client, step.to)
                found = (to, contacts_with(self.client, step.cc, exclude=to))
            self.by_step[id(step)] = found
        return found
