"""A user logs in with a real browser and finds their clients in the ledger."""

from __future__ import annotations

import os
from datetime import date

import pytest

from .browser import browser_page, shot
from .factory import make_invoice
from .test_web import add_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop


def test_log_in_see_the_totals_and_open_a_client(live_server, org):
    acme = add_client(org, "C1", "Acme Logistics")
    make_invoice(acme, due_date=date(2026, 1, 31), total="2500.00")
    with browser_page() as page:
        page.goto(f"{live_server.url}/")
        assert page.locator("h1").inner_text() == "Log in"
        shot(page, "login")
        page.fill("#id_username", "owner@northwind.example")
        page.fill("#id_password", "a long demo passphrase")
        page.click("button[type=submit]")
        page.wait_for_selector("table.figures")
        assert "£2,500.00" in page.locator("table.figures").inner_text()
        shot(page, "home")
        page.click("text=Open the ledger")
        page.click("a[href$='/ledger/client/']")
        assert "Acme Logistics" in page.locator("#result_list").inner_text()
        page.click("text=C1")
        assert page.locator("#id_name").input_value() == "Acme Logistics"
        shot(page, "admin-client")
