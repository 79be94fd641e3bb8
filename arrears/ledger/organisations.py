"""Creating an organisation and its owner (used by `arrears init` and the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from arrears.core.parsing import Invalid, parse_country, parse_currency, parse_email, parse_timezone
from arrears.core.places import country_currency, main_timezone
from arrears.ledger.models import Membership, Organisation, Role

STAFF_GROUP = "arrears staff"
STAFF_APPS = ("ledger", "dunning", "charges", "plans", "levers")


class SetupError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class OrganisationSpec:
    name: str
    country: str
    owner_email: str
    password: str
    currency: str | None = None
    timezone: str | None = None
    accounts_email: str | None = None
    address: str = ""


def staff_group() -> Group:
    """Staff may use the ledger admin for their own organisation's rows."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APPS))
    return group


class Owner(StrEnum):
    """Who owns the organisation `set_up` made or found."""

    NEW = "new"  # a new login, with the password given
    EXISTING = "existing"  # a login that existed, with its own password
    ALREADY = "already"  # the organisation and its owner were set up: nothing changed


class Setup(NamedTuple):
    organisation: Organisation
    created: bool
    owner: Owner


def create_organisation(spec: OrganisationSpec) -> tuple[Organisation, bool]:
    made = set_up(spec)
    return made.organisation, made.created


def set_up(spec: OrganisationSpec) -> Setup:
    """The organisation and its owner, checked all together first (SetupError: nothing is
    written). Running it again for the same organisation and owner changes nothing. An email
    that already has a login becomes owner of a new organisation only with that login's own
    password (never replaced by the one given), and an organisation that exists never gets a
    new owner this way."""
    problems: list[str] = []

    def check(what, parse, value):
        try:
            return parse(value)
        except Invalid as exc:
            problems.append(f"{what}: {exc}")
            return None

    country = check("country", parse_country, spec.country)
    email = check("email", parse_email, spec.owner_email)
    currency = spec.currency or (country_currency(country) if country else None)
    currency = check("currency", parse_currency, currency or "")
    tz = spec.timezone or (main_timezone(country) if country else None)
    tz = check("timezone", parse_timezone, tz or "")
    accounts = check("accounts email", parse_email, spec.accounts_email or spec.owner_email)
    if not spec.name.strip():
        problems.append("organisation name: is required")
    try:
        validate_password(spec.password)
    except ValidationError as exc:
        problems.extend(f"password: {m}" for m in exc.messages)
    if problems:
        raise SetupError(problems)
    slug = slugify(spec.name)[:60] or "org"
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=email).first()
        org = Organisation.objects.filter(slug=slug).first()
        if org is not None:
            if user is None or not Membership.objects.filter(organisation=org, user=user).exists():
                raise SetupError(
                    [
                        f"organisation {org.name!r} exists already (slug {slug}) and {email} is "
                        "not one of its people: `arrears init` adds no one to an organisation "
                        "that exists"
                    ]
                )
            return Setup(org, False, Owner.ALREADY)
        if user is not None and not user.check_password(spec.password):
            raise SetupError(
                [
                    f"{email} already has a login, and the password given is not its password: "
                    f"to make them owner of {spec.name.strip()!r} too, give their own password "
                    "(it is never replaced here)"
                ]
            )
        org = Organisation.objects.create(
            slug=slug,
            name=spec.name.strip(),
            country=country,
            base_currency=currency,
            timezone=tz,
            accounts_email=accounts,
            postal_address=spec.address,
        )
        owner = Owner.EXISTING if user is not None else Owner.NEW
        if user is None:
            user = User.objects.create_user(username=email, email=email, password=spec.password)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(staff_group())
        Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
    return Setup(org, True, owner)
