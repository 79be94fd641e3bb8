from __future__ import annotations

from dataclasses import dataclass

from arrears.core.parsing import Invalid, parse_email
from arrears.ledger.models import Contact, ContactRole, ContactRoleAssignment

from .base import Chunk, Kind, once

ROLES = tuple(ContactRole.values)


def parse_roles(text: str) -> tuple[str, ...]:
    roles = [r.strip().lower() for r in text.split("|")]
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise Invalid(f"unknown role {unknown[0]!r} (roles are {'|'.join(ROLES)}, separated by |)")
    return tuple(sorted(set(roles)))


@dataclass
class ContactRecord:
    line: int
    client: object
    name: str
    email: str
    roles: tuple[str, ...]


class Contacts(Kind):
    name = "contacts"
    columns = ("client_id", "name", "email", "roles")
    required = frozenset({"client_id", "email", "roles"})

    def existing(self) -> dict[tuple[int, str], Contact]:
        if not hasattr(self, "_existing"):
            self._existing = {
                (c.client_id, c.email.lower()): c
                for c in Contact.objects.for_org(self.org).prefetch_related("role_set")
            }
        return self._existing

    def parse(self, chunk: Chunk) -> list[ContactRecord]:
        seen = self.__dict__.setdefault("_seen", {})
        out = []
        for line, get in chunk.named():
            before = len(self.problems)
            client = self.client(line, get)
            email = self.value(line, get, "email", parse_email)
            roles = self.value(line, get, "roles", parse_roles)
            if client is not None and email is not None:
                key = (client.pk, email.lower())
                first = once(seen, f"{client.pk}:{email.lower()}", line)
                if first is not None:
                    self.problem(
                        line,
                        "email",
                        f"duplicate contact {email!r} for this client (also on row {first})",
                    )
                elif key in self.existing() and not self.update:
                    self.problem(
                        line,
                        "email",
                        f"contact {email!r} already exists (use --update to change it)",
                    )
            if len(self.problems) == before:
                out.append(ContactRecord(line, client, get("name").strip(), email, roles))
        return out

    def write(self, records: list[ContactRecord]) -> None:
        existing = self.existing()
        for r in records:
            contact = existing.get((r.client.pk, r.email.lower()))
            if contact is None:
                contact = Contact.objects.create(
                    organisation=self.org, client=r.client, name=r.name, email=r.email
                )
                ContactRoleAssignment.objects.bulk_create(
                    [ContactRoleAssignment(contact=contact, role=role) for role in r.roles]
                )
                existing[(r.client.pk, r.email.lower())] = contact
                self.counts.created += 1
                continue
            current_roles = tuple(sorted(a.role for a in contact.role_set.all()))
            if contact.name == r.name and current_roles == r.roles:
                self.counts.unchanged += 1
                continue
            contact.name = r.name
            contact.save(update_fields=["name"])
            contact.role_set.exclude(role__in=r.roles).delete()
            ContactRoleAssignment.objects.bulk_create(
                [
                    ContactRoleAssignment(contact=contact, role=role)
                    for role in r.roles
                    if role not in current_roles
                ]
            )
            self.counts.updated += 1

    def export(self):
        qs = Contact.objects.for_org(self.org).select_related("client").prefetch_related("role_set")
        for c in qs.order_by("client__external_id", "email"):
            yield {
                "client_id": c.client.external_id,
                "name": c.name,
                "email": c.email,
                "roles": "|".join(c.roles),
            }
