"""Payment plans in the admin: the owner sees their organisation's plans and instalments, to
look at only; an outsider's plans never show."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from arrears.plans import service

from .factory import make_client, make_invoice

pytestmark = pytest.mark.django_db


def plan_for(org, name):
    c = make_client(org, name=name)
    make_invoice(c, issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1), total="900.00")
    return service.draft(org, c, count=3, first=date(2026, 6, 1), today=date(2026, 5, 20))


def test_the_owner_sees_their_plans_read_only_and_never_an_outsiders(client, org, other_org):
    mine = plan_for(org, "Acme Logistics")
    theirs = plan_for(other_org, "Secret Outsider Client")
    client.login(username="owner@northwind.example", password="a long demo passphrase")
    listing = client.get(reverse("admin:plans_paymentplan_changelist")).content.decode()
    assert "Acme Logistics" in listing and "Secret Outsider" not in listing
    page = client.get(reverse("admin:plans_paymentplan_change", args=[mine.pk])).content.decode()
    assert (
        "£300.00" in page and "£900.00" in page and 'name="_save"' not in page
    )  # the schedule, nothing to save
    response = client.get(reverse("admin:plans_paymentplan_change", args=[theirs.pk]))
    assert response.status_code in (302, 404)
