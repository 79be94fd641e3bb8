"""The digest as a chat message: a Slack-compatible JSON POST `{"text": ...}`.

Signed like the service-level webhooks when ARREARS_DIGEST_WEBHOOK_SECRET is set:
`X-Arrears-Timestamp` (Unix seconds) and `X-Arrears-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<timestamp>.<body>`, so a receiver can check who sent it and reject old timestamps (no replay).
`X-Arrears-Key` is the same on every retry. 2xx is success; a 5xx, 408, 429, a timeout or a
refused connection is retried; any other 4xx is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from arrears.channels.base import TransportError
from arrears.env import env_secret

TIMEOUT = 10
RETRYABLE_4XX = (408, 429)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def post(row) -> None:
    data = row.data or {}
    url = data.get("url", "")
    if not url.startswith(("http://", "https://")):
        raise TransportError(f"no usable webhook address: {url!r}", permanent=True)
    body = json.dumps({"text": data.get("text", "")}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "arrears",
        "X-Arrears-Key": row.key,
        "X-Arrears-Timestamp": stamp,
    }
    secret = env_secret("ARREARS_DIGEST_WEBHOOK_SECRET")
    if secret:
        headers["X-Arrears-Signature"] = sign(secret.encode(), stamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX
        raise TransportError(f"{url} answered {exc.code}", permanent=permanent) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransportError(f"{url}: {getattr(exc, 'reason', exc)}") from None
