"""Webhooks: a signed JSON POST (`signing.post_signed`), used by the service-level hooks and
the digest's chat message."""
