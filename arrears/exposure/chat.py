"""The digest as a chat message: a Slack-compatible JSON POST `{"text": ...}`.

Signed like the service-level webhooks when ARREARS_DIGEST_WEBHOOK_SECRET is set, by the one
webhook sender (arrears.channels.webhook.signing: the headers, which answers are retried, and
why a redirect is a failure and never followed). `X-Arrears-Key` is the same on every retry.
"""

from __future__ import annotations

import json

from arrears.channels.base import TransportError
from arrears.channels.webhook.signing import post_signed
from arrears.env import env_secret

TIMEOUT = 10


def post(row) -> None:
    data = row.data or {}
    url = data.get("url", "")
    if not url.startswith(("http://", "https://")):
        raise TransportError(f"no usable webhook address: {url!r}", permanent=True)
    body = json.dumps({"text": data.get("text", "")}, ensure_ascii=False).encode()
    secret = env_secret("ARREARS_DIGEST_WEBHOOK_SECRET")
    post_signed(url, body, key=row.key, secret=secret.encode() if secret else None, timeout=TIMEOUT)
