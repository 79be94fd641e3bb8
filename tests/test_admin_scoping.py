"""The admin for a person on the staff of two organisations: a row's choices are its own
organisation's, and a forged form that points a row at another organisation's client,
contract or invoice is refused with a form error (planning and aging would crash on it)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from arrears.ledger.models import Client, Contract, Invoice, Membership, Role, TimeEntry

from .conftest import make_org
from .factory import make_client, make_invoice

pytestmark = pytest.mark.django_db
PASSWORD = "a long demo passphrase"


def add_client(org, ext, name, currency="GBP"):
    return make_client(org, external_id=ext, name=name, currency=currency)


@pytest.fixture
def two_orgs(db):
    """Northwind (owner@northwind.example) and Contoso, where the same person is staff too."""
    north = make_org()
    contoso = make_org("Contoso Outsiders", "DE", "boss@contoso.example")
    user = get_user_model().objects.get(username="owner@northwind.example")
    Membership.objects.create(organisation=contoso, user=user, role=Role.ACCOUNTING)
    return north, contoso


def management(page: str) -> dict[str, str]:
    """The inline formsets' management fields of an admin page, with no inline rows."""
    data = {}
    for name in re.findall(r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"', page):
        data[name] = "0" if name.endswith(("TOTAL_FORMS", "INITIAL_FORMS")) else "1000"
    return data


def invoice_form(**values) -> dict[str, str]:
    return {
        "number": "INV-X",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "currency": "GBP",
        "total": "100.00",
        "po_number": "",
        "approver_email": "",
        "description": "",
        **{k: str(v) for k, v in values.items()},
    }


def test_a_forged_invoice_pointing_at_another_organisations_client_is_refused(client, two_orgs):
    north, contoso = two_orgs
    north_client = add_client(north, "N1", "Northwind's Client")
    client.login(username="owner@northwind.example", password=PASSWORD)
    url = reverse("admin:ledger_invoice_add")
    page = client.get(url).content.decode()
    response = client.post(
        url, {**management(page), **invoice_form(organisation=contoso.pk, client=north_client.pk)}
    )
    assert response.status_code == 200
    assert "belongs to another organisation" in response.content.decode()
    assert not Invoice.objects.filter(number="INV-X").exists()
    # the aging of both organisations still works
    from arrears.ledger.reports import aging

    assert aging(contoso, date(2026, 6, 1)).rows == ()


def test_an_invoice_offers_only_its_own_organisations_clients_and_contracts(client, two_orgs):
    north, contoso = two_orgs
    mine = add_client(contoso, "C1", "Contoso's Own Client")
    add_client(north, "N1", "Northwind's Other Client")
    inv = make_invoice(
        mine, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31), total="100.00"
    )
    client.login(username="owner@northwind.example", password=PASSWORD)
    url = reverse("admin:ledger_invoice_change", args=[inv.pk])
    page = client.get(url).content.decode()
    assert "Contoso&#x27;s Own Client" in page and "Northwind&#x27;s Other Client" not in page
    # a forged change: moved to the other organisation's client
    other = Client.objects.get(external_id="N1")
    response = client.post(
        url,
        {
            **management(page),
            **invoice_form(organisation=contoso.pk, client=other.pk, number="INV-1"),
        },
    )
    assert response.status_code == 200
    inv.refresh_from_db()
    assert inv.client == mine
    # ... or the invoice moved to the other organisation, its client left behind
    response = client.post(
        url,
        {**management(page), **invoice_form(organisation=north.pk, client=mine.pk, number="INV-1")},
    )
    assert response.status_code == 200
    assert "belongs to another organisation" in response.content.decode()
    inv.refresh_from_db()
    assert inv.organisation == contoso


def test_time_entries_and_contracts_refuse_another_organisations_rows_too(client, two_orgs):
    north, contoso = two_orgs
    theirs = add_client(north, "N1", "Northwind's Client")
    mine = add_client(contoso, "C1", "Contoso's Client")
    north_contract = Contract.objects.create(
        organisation=north,
        client=theirs,
        external_id="K1",
        engagement="tm",
        start_date=date(2026, 1, 1),
    )
    client.login(username="owner@northwind.example", password=PASSWORD)
    url = reverse("admin:ledger_timeentry_add")
    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            **management(page),
            "organisation": contoso.pk,
            "client": mine.pk,
            "contract": north_contract.pk,
            "external_id": "T1",
            "date": "2026-03-02",
            "person": "Ada",
            "hours": "2",
            "bill_rate": "95",
            "cost_rate": "55",
        },
    )
    assert response.status_code == 200
    assert "belongs to another organisation" in response.content.decode()
    assert not TimeEntry.objects.exists()
    url = reverse("admin:ledger_contract_add")
    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            **management(page),
            "organisation": contoso.pk,
            "client": theirs.pk,
            "external_id": "K2",
            "engagement": "tm",
            "payment_terms_days": "30",
            "late_fee_grace_days": "0",
            "start_date": "2026-01-01",
            "governing_law": "GB",
        },
    )
    assert response.status_code == 200
    assert not Contract.objects.filter(external_id="K2").exists()


def test_a_single_organisation_user_cannot_forge_an_outsiders_client_either(client, org):
    outsider_org = make_org("Contoso Outsiders", "DE", "boss@contoso.example")
    theirs = add_client(outsider_org, "X1", "Outsider's Client")
    client.login(username="owner@northwind.example", password=PASSWORD)
    url = reverse("admin:ledger_invoice_add")
    page = client.get(url).content.decode()
    response = client.post(url, {**management(page), **invoice_form(client=theirs.pk)})
    assert response.status_code == 200
    assert not Invoice.objects.filter(number="INV-X").exists()


def test_other_apps_rows_are_scoped_too_a_promise_on_another_organisations_invoice(
    client, two_orgs
):
    north, contoso = two_orgs
    theirs = add_client(north, "N1", "Northwind's Client")
    north_invoice = make_invoice(
        theirs,
        number="N-INV-1",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        total="100.00",
    )
    stranger = make_org("Stranger Ltd", "GB", "someone@stranger.example")
    del stranger
    client.login(username="owner@northwind.example", password=PASSWORD)
    url = reverse("admin:dunning_promise_add")
    page = client.get(url).content.decode()
    assert "someone@stranger.example" not in page  # people of other organisations
    from arrears.dunning.models import Promise

    outsider = get_user_model().objects.get(username="someone@stranger.example")
    for invoice, who in ((north_invoice, ""), (None, outsider.pk)):
        form = {
            **management(page),
            "organisation": contoso.pk,
            "invoice": invoice.pk if invoice else north_invoice.pk,
            "until": "2026-04-30",
            "note": "",
            "made_on": "2026-04-01",
            "recorded_by": who,
            "status": "active",
        }
        if invoice is None:
            form["organisation"] = north.pk
        response = client.post(url, form)
        assert response.status_code == 200, response.status_code
        text = response.content.decode()
        assert "belongs to another organisation" in text or "Select a valid choice" in text
    assert not Promise.objects.exists()
    # the model refuses it whatever form it came through
    promise = Promise(
        organisation=contoso,
        invoice=north_invoice,
        until=date(2026, 4, 30),
        made_on=date(2026, 4, 1),
        recorded_by=outsider,
    )
    with pytest.raises(ValidationError) as refused:
        promise.full_clean()
    assert refused.value.message_dict == {
        "invoice": ["this invoice belongs to another organisation"],
        "recorded_by": ["this user is not a member of the organisation"],
    }
