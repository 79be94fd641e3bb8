"""The admin checks a row as the importers check a file: dates within 1990-2100, amounts the
ledger can hold in the currency's minor unit, known currencies, one-line text without control
characters. And it never deletes a money record others depend on."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from arrears.ledger.models import Client, CreditNote, Invoice, Payment
from arrears.ledger.settlement import record_payment

from .factory import make_invoice
from .test_admin_scoping import PASSWORD, add_client, invoice_form, management

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    client.login(username="owner@northwind.example", password=PASSWORD)
    return client


def post_invoice(admin_client, **values):
    url = reverse("admin:ledger_invoice_add")
    page = admin_client.get(url).content.decode()
    return admin_client.post(url, {**management(page), **invoice_form(**values)})


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"due_date": "9999-12-31"}, "9999-12-31 is outside the dates a ledger holds"),
        ({"issue_date": "0001-01-01"}, "0001-01-01 is outside the dates a ledger holds"),
        ({"total": "99999999999999999999999.99"}, "too large; amounts are below"),
        ({"total": "10.123"}, "has more decimals than GBP has (2)"),
        ({"currency": "XYZ"}, "is not an ISO 4217 currency code"),
        ({"number": "INV-\r\nBcc: x"}, "contains a control character"),
        ({"po_number": "PO\x1b7"}, "contains a control character (U+001B)"),
        ({"po_number": "PO\x007"}, "Null characters are not allowed"),
    ],
)
def test_the_admin_refuses_an_invoice_an_import_would_refuse(admin_client, org, values, reason):
    acme = add_client(org, "C1", "Acme Logistics")
    response = post_invoice(admin_client, client=acme.pk, **values)
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page.replace("&#x27;", "'"), re.findall(
        r'class="errorlist[^>]*>.*?</ul>', page
    )
    assert not Invoice.objects.exists()


def test_a_good_invoice_still_saves_and_free_text_keeps_its_line_breaks(admin_client, org):
    acme = add_client(org, "C1", "Acme Logistics")
    response = post_invoice(admin_client, client=acme.pk, description="Line one\r\nline two")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Invoice.objects.get(number="INV-X").organisation == org


def test_a_payment_dated_9999_is_refused_in_the_admin(admin_client, org):
    acme = add_client(org, "C1", "Acme Logistics")
    url = reverse("admin:ledger_payment_add")
    page = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            **management(page),
            "client": acme.pk,
            "external_id": "P1",
            "date": "9999-12-31",
            "amount": "60.00",
            "currency": "GBP",
            "reference": "",
            "method": "bank_transfer",
        },
    )
    assert response.status_code == 200
    assert "outside the dates a ledger holds" in response.content.decode()
    assert not Payment.objects.exists()


def paid_invoice(org):
    acme = add_client(org, "C1", "Acme Logistics")
    inv = make_invoice(
        acme, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31), total="100.00"
    )
    payment = record_payment(
        org, acme, external_id="P1", on=date(2026, 4, 1), amount=Decimal("100.00"), currency="GBP"
    )
    return inv, payment


def test_the_admin_will_not_delete_a_paid_invoice_or_its_payment(admin_client, org, cli):
    inv, payment = paid_invoice(org)
    for name, obj in (("invoice", inv), ("payment", payment)):
        url = reverse(f"admin:ledger_{name}_delete", args=[obj.pk])
        page = admin_client.get(url).content.decode()
        assert "cannot be deleted: it has 1 allocation" in page
        admin_client.post(url, {"post": "yes"})
        # the bulk action too
        admin_client.post(
            reverse(f"admin:ledger_{name}_changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
    assert (
        Invoice.objects.filter(pk=inv.pk).exists()
        and Payment.objects.filter(pk=payment.pk).exists()
    )
    assert "P1,C1,2026-04-01,100.00,GBP,,,INV-1" in cli("export", "payments").stdout


def test_no_code_path_deletes_a_money_record_with_dependents(org):
    inv, payment = paid_invoice(org)
    with (
        pytest.raises(ProtectedError, match="arrears reverse-payment P1 --reason WHY"),
        transaction.atomic(),
    ):
        Payment.objects.filter(pk=payment.pk).delete()
    with pytest.raises(ProtectedError, match="credit note"), transaction.atomic():
        inv.delete()
    acme = Client.objects.get(external_id="C1")
    spare = CreditNote.objects.create(
        organisation=org,
        client=acme,
        number="CN-1",
        date=date(2026, 4, 2),
        amount=1,
        currency="GBP",
    )
    spare.delete()  # nothing depends on it
    assert (
        Invoice.objects.filter(pk=inv.pk).exists()
        and Payment.objects.filter(pk=payment.pk).exists()
    )


def test_a_payment_that_looks_like_a_typo_is_booked_in_the_admin_only_once_confirmed(
    admin_client, org
):
    inv, _ = paid_invoice(org)  # the client owes nothing now
    url = reverse("admin:ledger_payment_add")
    page = admin_client.get(url).content.decode()
    form = {
        **management(page),
        "client": inv.client_id,
        "external_id": "P2",
        "date": "2026-04-02",
        "amount": "50.00",
        "currency": "GBP",
        "reference": "",
        "method": "bank_transfer",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200
    text = response.content.decode().replace("&#x27;", "'")
    assert "P2 of 50.00 GBP is more than client C1 still owes (0.00 GBP)" in text
    assert "Book it anyway" in text
    assert not Payment.objects.filter(external_id="P2").exists()
    response = admin_client.post(url, {**form, "book_anyway": "on"})
    assert response.status_code == 302
    assert Payment.objects.get(external_id="P2").unallocated == Decimal("50.00")
