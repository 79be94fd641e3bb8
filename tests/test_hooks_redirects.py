"""Webhooks never follow a redirect: a receiver that answers 3xx has not taken the delivery,
and the address it points to gets nothing (not the body, not the signature headers)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from arrears.dunning.models import OutboxAction
from arrears.levers.models import HookRun

from .conftest import write
from .factory import import_ledger

pytestmark = pytest.mark.django_db

SECRET = b"whsec-redirect-test-0123456789"
CLIENTS = """
client_id,name,country,timezone,currency
C1,Acme Logistics,GB,Europe/London,GBP
"""


@dataclass
class Server:
    url: str = ""
    seen: list[tuple[str, str, dict]] = field(default_factory=list)  # method, path, headers


@contextmanager
def http_server(answer):
    """A real HTTP server that records every request (any method) and answers `answer(path)`:
    (status, headers)."""
    server_state = Server()

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            server_state.seen.append((self.command, self.path, dict(self.headers)))
            status, headers = answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = do_HEAD = do_PUT = _any  # noqa: N815 - http.server's names

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server_state.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def redirect_to_elsewhere(status=302):
    """The configured address answers `status` pointing to a second server, which would
    answer 200 to anything."""
    with http_server(lambda path: (200, {})) as elsewhere:
        target = f"{elsewhere.url}/stolen"
        with http_server(lambda path: (status, {"Location": target})) as first:
            yield first, elsewhere, target


def to_maintenance(cli):
    cli("level", "C1", "--set", "maintenance", "--reason", "x", "--by", "owner@northwind.example")


@pytest.fixture
def ledger(cli, tmp_path):
    import_ledger(cli, tmp_path, clients=CLIENTS)
    return cli


def test_a_hook_webhook_answered_with_a_redirect_fails_and_the_new_address_gets_nothing(
    ledger, tmp_path
):
    with redirect_to_elsewhere() as (first, elsewhere, target):
        ledger(
            "hook", "add", "chat", "--kind", "webhook", "--url", f"{first.url}/hooks",
            "--secret-from-file", str(write(tmp_path / "s", SECRET.decode())),
        )  # fmt: skip
        to_maintenance(ledger)
    assert [(m, p) for m, p, _ in first.seen] == [("POST", "/hooks")]
    assert elsewhere.seen == []  # neither the body nor the signature went there
    [run] = HookRun.objects.all()
    assert (run.outcome, run.http_status) == ("failed", 302)
    assert (
        f"the receiver answered 302 redirect to {target}; webhooks do not follow redirects"
        in run.output
    )
    row = OutboxAction.objects.get(kind="hook")
    assert row.status == "failed" and "do not follow redirects" in row.last_error
    [logged] = json.loads(ledger("hook", "log", "--format", "json").stdout)
    assert (logged["outcome"], logged["http_status"]) == ("failed", 302)


@pytest.mark.parametrize("status", [301, 307, 308])
def test_no_kind_of_redirect_is_followed_by_a_hook(ledger, tmp_path, status):
    with redirect_to_elsewhere(status) as (first, elsewhere, _):
        ledger(
            "hook", "add", "chat", "--kind", "webhook", "--url", f"{first.url}/hooks",
            "--secret-from-file", str(write(tmp_path / "s", SECRET.decode())),
        )  # fmt: skip
        to_maintenance(ledger)
    assert elsewhere.seen == []
    assert HookRun.objects.get().outcome == "failed"


def test_the_digest_chat_webhook_answered_with_a_redirect_fails_and_the_new_address_gets_nothing(
    ledger, monkeypatch
):
    monkeypatch.setenv("ARREARS_DIGEST_WEBHOOK_SECRET", "s3cret")
    with redirect_to_elsewhere() as (first, elsewhere, target):
        ledger("escalation", "--webhook", f"{first.url}/hooks/digest")
        out = ledger("apply", "--date", "2026-05-08", ok=False)
    assert [m for m, _, _ in first.seen] == ["POST"]
    assert elsewhere.seen == []
    row = OutboxAction.objects.get(key="digest/2026-05-08/chat")
    assert row.status == "failed"
    assert f"answered 302 redirect to {target}; webhooks do not follow redirects" in row.last_error
    assert "do not follow redirects" in out.stderr
