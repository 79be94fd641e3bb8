"""Signing and posting a JSON body to a webhook, for every sender of webhooks in arrears (the
service-level hooks, the digest's chat message). Imports no Django models.

Headers: `X-Arrears-Timestamp` (Unix seconds), `X-Arrears-Key` (the same on every retry, so the
receiver can drop repeats) and, with a secret, `X-Arrears-Signature: sha256=<hex>`, the
HMAC-SHA256 of `<timestamp>.<body>`: the receiver checks who sent it and rejects old timestamps
(no replay).

A 2xx is success. A 5xx, 408, 429, a timeout or a refused connection is temporary (retried);
any other 4xx is permanent (the receiver said no: retrying will not change its mind). A 3xx
is permanent too and is never followed: following it would turn the POST into a GET without
its body, send the signature headers to an address nobody configured, and report a delivery
that never happened.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from arrears.channels.base import TransportError

RETRYABLE_4XX = (408, 429)
READ_LIMIT = 8192  # bytes of the receiver's answer kept (it is logged, never parsed)


@dataclass(frozen=True)
class Answer:
    """What the receiver said: its status and the start of its body."""

    status: int
    text: str


class WebhookError(TransportError):
    """The POST failed; `answer` is what the receiver said, when it said something."""

    def __init__(self, message: str, *, permanent: bool = False, answer: Answer | None = None):
        super().__init__(message, permanent=permanent)
        self.answer = answer


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx comes back as an HTTPError instead of a second request to the new address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_signed(
    url: str,
    body: bytes,
    *,
    key: str,
    secret: bytes | None,
    timeout: float,
    user_agent: str = "arrears",
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST `body` (JSON) to `url`, signed with `secret` when there is one. Returns the 2xx
    answer; raises WebhookError otherwise."""
    stamp = str(int(time.time()))
    sent = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "X-Arrears-Key": key,
        "X-Arrears-Timestamp": stamp,
        **(headers or {}),
    }
    if secret:
        sent["X-Arrears-Signature"] = sign(secret, stamp, body)
    request = urllib.request.Request(url, data=body, headers=sent, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(response.status, _text(response))
    except urllib.error.HTTPError as exc:
        answer = Answer(exc.code, _text(exc) if exc.fp else "")
        if 300 <= exc.code < 400:
            where = exc.headers.get("Location") or "no address"
            raise WebhookError(
                f"{url}: the receiver answered {exc.code} redirect to {where}; "
                "webhooks do not follow redirects",
                permanent=True,
                answer=answer,
            ) from None
        permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX
        raise WebhookError(
            f"{url} answered {exc.code}", permanent=permanent, answer=answer
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise WebhookError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def _text(response) -> str:
    return response.read(READ_LIMIT).decode("utf-8", "replace")
