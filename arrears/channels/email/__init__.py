"""Email: Django's mail framework (ARREARS_EMAIL_URL), templates per step and language."""
