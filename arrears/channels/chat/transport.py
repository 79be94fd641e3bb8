"""`chat`: a message to a chat channel, as a Slack-compatible JSON POST `{"text": ...}` (the
daily digest).

Signed like the service-level webhooks when ARREARS_DIGEST_WEBHOOK_SECRET is set, by the one
webhook sender (arrears.channels.webhook.signing: the headers, which answers are retried, and
why a redirect is a failure and never followed). `X-Arrears-Key` is the same on every retry.
"""

from __future__ import annotations

import json

from arrears.channels.base import TransportError
from arrears.channels.webhook.signing import post_signed
from arrears.env import env_secret


class ChatTransport:
    kind = "chat"
    timeout = 10

    def post(self, url: str, text: str, *, key: str) -> None:
        """Post `text` to the chat webhook at `url`, or raise TransportError."""
        if not url.startswith(("http://", "https://")):
            raise TransportError(f"no usable webhook address: {url!r}", permanent=True)
        body = json.dumps({"text": text}, ensure_ascii=False).encode()
        secret = env_secret("ARREARS_DIGEST_WEBHOOK_SECRET")
        post_signed(
            url, body, key=key, secret=secret.encode() if secret else None, timeout=self.timeout
        )
