"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from
ARREARS_ESCROW_KEY (or its _FILE variant) if set, else from the Django SECRET_KEY. Changing
the key makes stored secrets unreadable: `arrears escrow put` them again."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings

from arrears.env import env_secret


class EscrowKeyError(Exception):
    pass


def _fernet():
    from cryptography.fernet import Fernet  # here: only hooks with secrets need it

    material = env_secret("ARREARS_ESCROW_KEY") or settings.SECRET_KEY
    # A label keeps this key apart from every other use of the same secret.
    digest = hashlib.sha256(b"arrears-escrow-v1\x00" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: bytes) -> str:
    return _fernet().encrypt(secret).decode()


def unseal(token: str) -> bytes:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode())
    except InvalidToken:
        raise EscrowKeyError(
            "an escrowed secret cannot be decrypted: ARREARS_ESCROW_KEY (or the secret key) "
            "changed since it was stored"
        ) from None
