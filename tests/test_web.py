"""The web server: health, login, the home page, and the ledger admin scoped per organisation."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from arrears.ledger.models import Client

from .factory import make_client, make_invoice

pytestmark = pytest.mark.django_db


def add_client(org, ext, name):
    return make_client(org, external_id=ext, name=name)


def test_health_says_ok_when_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_wrong_password_is_refused(client, org):
    response = client.post("/login/", {"username": "owner@northwind.example", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an account" in response.content


def test_the_owner_logs_in_and_sees_what_is_owed(client, org):
    acme = add_client(org, "C1", "Acme Logistics")
    make_invoice(acme, issue_date=date(2020, 1, 1), due_date=date(2020, 1, 31), total="1234.50")
    response = client.post(
        "/login/", {"username": "owner@northwind.example", "password": "a long demo passphrase"}
    )
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "Northwind Engineering" in page
    assert "£1,234.50" in page  # outstanding and overdue


def test_the_admin_shows_only_the_users_organisation(client, org, other_org):
    add_client(org, "C1", "Acme Logistics")
    theirs = add_client(other_org, "C1", "Secret Outsider Client")
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    listing = client.get(reverse("admin:ledger_client_changelist")).content.decode()
    assert "Acme Logistics" in listing and "Secret Outsider Client" not in listing
    response = client.get(reverse("admin:ledger_client_change", args=[theirs.pk]))
    assert response.status_code in (302, 404)  # Django redirects to the index for a missing row
    assert b"Secret Outsider Client" not in client.get(reverse("admin:index"), follow=True).content


def test_a_payment_added_in_the_admin_is_allocated(client, org):
    acme = add_client(org, "C1", "Acme Logistics")
    inv = make_invoice(acme, due_date=date(2026, 1, 31), total="100.00")
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    response = client.post(
        reverse("admin:ledger_payment_add"),
        {
            "client": acme.pk,
            "external_id": "P1",
            "date": "2026-02-01",
            "amount": "60.00",
            "currency": "GBP",
            "reference": "",
            "method": "bank_transfer",
            "allocations-TOTAL_FORMS": "0",
            "allocations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inv.refresh_from_db()
    assert (str(inv.paid), inv.status) == ("60", "partially_paid")


def test_the_admin_refuses_what_an_import_refuses(client, org):
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    response = client.post(
        reverse("admin:ledger_client_add"),
        {
            "external_id": "C9",
            "name": "Bad",
            "country": "UK",
            "timezone": "Europe/London",
            "currency": "GBP",
            "language": "en",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "is not an ISO 3166-1 alpha-2 country code" in response.content.decode()
    assert not Client.objects.filter(external_id="C9").exists()


def test_staff_read_levels_hooks_charges_and_plans_in_the_admin_but_cannot_rewrite_them(
    client, org
):
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    index = client.get("/admin/").content.decode()
    for section in ("Service levels", "Charges", "Payment plans"):
        assert section in index, section
    for page in (
        "/admin/levers/servicelevel/",
        "/admin/levers/levelchange/",
        "/admin/levers/hookrun/",
        "/admin/charges/charge/",
        "/admin/plans/paymentplan/",
    ):
        assert client.get(page).status_code == 200, page
    # the audit trail and what was charged have no add or delete in the admin
    assert client.get("/admin/levers/levelchange/add/").status_code == 403
    assert client.get("/admin/charges/charge/add/").status_code == 403


def waits(org, client, step):
    """An action of `step` for `client` found waiting for an approval since 6 May."""
    from arrears.exposure.models import ApprovalWait

    key = f"{step}/{client.external_id}"
    ApprovalWait.objects.create(
        organisation=org, key=key, client=client, step=step, since="2026-05-06"
    )


def test_the_home_page_shows_the_days_reminders_and_what_waits_for_an_approval(
    client, org, other_org
):
    from datetime import UTC, date, datetime

    from arrears.dunning.models import Run

    client.login(username="owner@northwind.example", password="a long demo passphrase")
    assert "No run yet" in client.get("/").content.decode()
    acme = add_client(org, "C7", "Acme Logistics")
    done = datetime(2026, 5, 8, 6, 2, tzinfo=UTC)
    Run.objects.create(organisation=org, on=date(2026, 5, 7), finished_at=done, sent=40)
    Run.objects.create(organisation=org, on=date(2026, 5, 8), finished_at=done, sent=12, failed=1)
    Run.objects.create(organisation=org, on=date(2026, 5, 8), finished_at=done, sent=3, retrying=2)
    waits(org, acme, "work-stoppage")
    theirs = add_client(other_org, "C9", "Secret Outsider Client")
    Run.objects.create(organisation=other_org, on=date(2026, 5, 9), finished_at=done, sent=99)
    waits(other_org, theirs, "suspension")
    page = client.get("/").content.decode()
    # the last day's runs added up (not the other organisation's later day), in the org's zone
    assert "8 May 2026: 15 sent, 1 failed, 2 to retry" in page
    assert "2 runs, the last finished at 07:02 BST" in page
    assert "Waiting for an approval (1)" in page
    assert "arrears approve work-stoppage/C7 --by owner@northwind.example" in page
    assert "Acme Logistics (C7)" in page
    assert "suspension/C9" not in page and "99 sent" not in page
