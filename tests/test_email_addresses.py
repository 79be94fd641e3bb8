"""Addresses as a mail server takes them (issue 13, defect 3): a domain in IDNA for a server
without SMTPUTF8, as it is with one; a non-ASCII local part that such a server cannot take
refused alone, with the reason; an organisation named `Charlie, Inc.` sends from one address."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arrears.channels.base import Outgoing, Refusal, TransportError
from arrears.channels.email import sender
from arrears.channels.email.transport import EmailTransport
from arrears.dunning.models import OutboxAction

from .factory import import_ledger
from .test_apply import apply

pytestmark = pytest.mark.django_db


def outgoing(*to: str, cc: tuple[str, ...] = ()) -> Outgoing:
    return Outgoing(
        "Nachfrage: Rechnung #INV-1 [ÜBERFÄLLIG]",
        "Guten Tag,\n\nbitte überweisen Sie 1.200,00 €.\n",
        "",
        sender("Müller & Söhne, Beratung", "arrears@northwind.example"),
        to,
        cc,
        "accounts@northwind.example",
        {"Message-ID": "<m1@northwind.example>", "X-Arrears-Key": "nudge-1/C1/INV-1"},
    )


def send(message: Outgoing) -> tuple[Refusal, ...]:
    with EmailTransport() as transport:
        return transport.send(message)


def test_an_idn_domain_goes_in_idna_to_a_server_without_smtputf8(smtp):
    assert send(outgoing("rechnung@müller.example", cc=("info@bücher.example",))) == ()
    [got] = smtp.messages
    assert not got.smtputf8
    assert got.rcpt_tos == ["rechnung@xn--mller-kva.example", "info@xn--bcher-kva.example"]
    assert got.header("To") == "rechnung@xn--mller-kva.example"
    assert got.header("Cc") == "info@xn--bcher-kva.example"
    [author] = got.message["From"].addresses
    assert author.display_name == "Müller & Söhne, Beratung"  # RFC 2047 on the wire


def test_a_server_that_offers_smtputf8_gets_the_addresses_as_they_are(smtp):
    smtp.smtputf8 = True
    assert send(outgoing("rechnung@müller.example", "jürgen@kunde.example")) == ()
    [got] = smtp.messages
    assert got.smtputf8
    assert got.rcpt_tos == ["rechnung@müller.example", "jürgen@kunde.example"]
    assert got.header("To") == "rechnung@müller.example, jürgen@kunde.example"
    assert "überweisen Sie 1.200,00 €" in got.text


def test_a_non_ascii_local_part_is_refused_alone_by_a_server_without_smtputf8(smtp):
    refused = send(outgoing("jürgen@kunde.example", "ap@kunde.example"))
    [refusal] = refused
    assert (refusal.address, refusal.code, refusal.temporary) == (
        "jürgen@kunde.example",
        553,
        False,
    )
    assert "SMTPUTF8" in refusal.reason and "non-ASCII" in refusal.reason
    [got] = smtp.messages
    assert got.rcpt_tos == ["ap@kunde.example"]
    assert got.header("To") == "ap@kunde.example"


def test_a_message_for_such_addresses_only_fails_permanently_and_the_next_one_goes(smtp):
    with EmailTransport() as transport:
        with pytest.raises(TransportError) as failed:
            transport.send(outgoing("jürgen@kunde.example"))
        assert transport.send(outgoing("ap@kunde.example")) == ()
    assert failed.value.permanent
    assert "jürgen@kunde.example" in failed.value.message
    assert "SMTPUTF8" in failed.value.message
    [got] = smtp.messages
    assert got.rcpt_tos == ["ap@kunde.example"]


@pytest.mark.parametrize(
    "name",
    [
        "Charlie, Inc.",
        # too long for one line: folded, the quotes must stay (CPython gh-80222)
        "Northwind Engineering Consultancy Services, Limited Liability Partnership (London)",
    ],
)
def test_an_organisation_named_with_a_comma_sends_from_one_address(smtp, name):
    assert sender("Charlie, Inc.", "a@b.example") == '"Charlie, Inc." <a@b.example>'
    from_email = sender(name, "arrears@charlie.example")
    assert send(replace(outgoing("ap@kunde.example"), from_email=from_email)) == ()
    [got] = smtp.messages
    assert got.mail_from == "arrears@charlie.example"
    [author] = got.message["From"].addresses
    assert (author.display_name, author.addr_spec) == (name, "arrears@charlie.example")


CLIENTS = """
client_id,name,country,timezone,currency,language
C1,Müller Maschinenbau,DE-BY,Europe/Berlin,EUR,de
"""
CONTACTS = """
client_id,name,email,roles
C1,Rechnungsstelle,rechnung@müller.example,billing
C1,Jürgen Weiß,jürgen@müller.example,accounting
C1,,info@mueller.example,general
"""
INVOICES = """
invoice_number,client_id,issue_date,due_date,amount,description
INV-1,C1,2026-04-01,2026-05-05,1200.00,April
"""


@pytest.fixture
def muller(cli, tmp_path, org, settings):
    """A client at an IDN domain whose accounting contact has a non-ASCII local part, chased
    by an organisation named `Charlie, Inc.`."""
    org.name = "Charlie, Inc."
    org.accounts_email = "accounts@charlie.example"
    org.save()
    import_ledger(cli, tmp_path, clients=CLIENTS, contacts=CONTACTS, invoices=INVOICES)
    return cli


def test_apply_reaches_an_idn_domain_and_reports_the_address_the_server_cannot_take(
    muller, smtp, settings
):
    out = apply(muller, "2026-05-08")
    assert "1 queued" in out.output
    assert (
        "sent, but the mail server refused jürgen@müller.example (553 " in out.stderr
        and "SMTPUTF8" in out.stderr
    )
    [nudge] = [m for m in smtp.messages if m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"]
    assert nudge.rcpt_tos == ["rechnung@xn--mller-kva.example", "info@mueller.example"]
    assert nudge.header("To") == "rechnung@xn--mller-kva.example"
    [author] = nudge.message["From"].addresses
    assert (author.display_name, author.addr_spec) == ("Charlie, Inc.", settings.DEFAULT_FROM_EMAIL)
    assert nudge.mail_from == settings.DEFAULT_FROM_EMAIL
    assert OutboxAction.objects.get(key="nudge-1/C1/INV-1").status == "sent"


def test_apply_with_a_server_that_offers_smtputf8_reaches_every_contact(muller, smtp, settings):
    smtp.smtputf8 = True
    out = apply(muller, "2026-05-08")
    assert "1 queued, 1 sent" in out.output and "refused" not in out.stderr
    [nudge] = [m for m in smtp.messages if m.header("X-Arrears-Key") == "nudge-1/C1/INV-1"]
    assert nudge.smtputf8
    assert sorted(nudge.rcpt_tos) == sorted(
        ["rechnung@müller.example", "jürgen@müller.example", "info@mueller.example"]
    )
    [author] = nudge.message["From"].addresses
    assert author.display_name == "Charlie, Inc." and nudge.mail_from == settings.DEFAULT_FROM_EMAIL
