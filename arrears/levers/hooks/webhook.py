"""`webhook`: a signed JSON POST.

The body carries a Slack-compatible `text` and the change in fields. Headers:
`X-Arrears-Timestamp` (Unix seconds) and `X-Arrears-Signature: sha256=<hex>`, the HMAC-SHA256
of `<timestamp>.<body>` with the hook's signing secret, so a receiver can check both who sent
it and that it is fresh (reject old timestamps: no replay); `X-Arrears-Key` is the same on
every retry. 2xx is success; a 5xx, 408, 429, a timeout or a refused connection is retried;
any other 4xx is permanent (the receiver said no: retrying will not change its mind).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from arrears.levers.crypto import unseal

from .base import Call, HookError, HookKind, Outcome, clip, positive_int, unknown_settings

RETRYABLE_4XX = (408, 429)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(call: Call) -> bytes:
    return json.dumps(
        {
            "text": call.text,
            "event": call.event,
            "key": call.key,
            "hook": call.hook,
            "organisation": call.organisation,
            "client": {"id": call.client_id, "name": call.client_name},
            "level": {"from": call.level_from, "to": call.level_to},
            "episode": call.episode,
            "reason": call.reason,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


class WebhookHook(HookKind):
    kind = "webhook"

    def check(self, raw: dict) -> tuple[dict, list[str]]:
        problems: list[str] = []
        unknown_settings(raw, {"url", "secret", "timeout"}, problems)
        url = raw.get("url") or ""
        parts = urlsplit(url) if isinstance(url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"url: {url!r} is not an http:// or https:// address")
        if not raw.get("secret"):
            problems.append("secret: a signing secret is required (--secret-from-file)")
        timeout = positive_int(raw, "timeout", 10, 120, problems)
        return {"url": url, "secret": raw.get("secret", ""), "timeout": timeout}, problems

    def run(self, settings: dict, call: Call) -> Outcome:
        body = body_of(call)
        stamp = str(int(time.time()))
        request = urllib.request.Request(
            settings["url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "arrears-hooks",
                "X-Arrears-Timestamp": stamp,
                "X-Arrears-Signature": sign(unseal(settings["secret"]), stamp, body),
                "X-Arrears-Key": call.key,
                "X-Arrears-Event": call.event,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings["timeout"]) as response:
                text = response.read(8192).decode("utf-8", "replace")
                return Outcome(http_status=response.status, output=clip(text))
        except urllib.error.HTTPError as exc:
            text = exc.read(8192).decode("utf-8", "replace") if exc.fp else ""
            outcome = Outcome(http_status=exc.code, output=clip(text))
            permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX
            raise HookError(
                f"{settings['url']} answered {exc.code}", permanent=permanent, outcome=outcome
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HookError(f"{settings['url']}: {reason}") from None

    def describe(self, settings: dict) -> str:
        return f"POST {settings['url']} (signed; timeout {settings['timeout']} s)"
