"""`webhook`: a signed JSON POST (arrears.channels.webhook.signing says how it is signed and
which answers are retried).

The body carries a Slack-compatible `text` and the change in fields. Headers:
`X-Arrears-Timestamp` (Unix seconds) and `X-Arrears-Signature: sha256=<hex>`, the HMAC-SHA256
of `<timestamp>.<body>` with the hook's signing secret, so a receiver can check both who sent
it and that it is fresh (reject old timestamps: no replay); `X-Arrears-Key` is the same on
every retry. 2xx is success; a 5xx, 408, 429, a timeout or a refused connection is retried;
any other 4xx, and a redirect (never followed), is permanent.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from arrears.channels.base import TransportError
from arrears.channels.escrow.crypto import unseal
from arrears.channels.hooks import Call, HookKind, Outcome, clip, positive_int, unknown_settings
from arrears.channels.webhook.signing import WebhookError, post_signed


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


class WebhookTransport(HookKind):
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
        try:
            answer = post_signed(
                settings["url"],
                body_of(call),
                key=call.key,
                secret=unseal(settings["secret"]),
                timeout=settings["timeout"],
                user_agent="arrears-hooks",
                headers={"X-Arrears-Event": call.event},
            )
        except WebhookError as exc:
            said = exc.answer
            outcome = Outcome(
                http_status=said.status if said else None, output=clip(said.text) if said else ""
            )
            raise TransportError(exc.message, permanent=exc.permanent, outcome=outcome) from None
        return Outcome(http_status=answer.status, output=clip(answer.text))

    def describe(self, settings: dict) -> str:
        return f"POST {settings['url']} (signed; timeout {settings['timeout']} s)"
