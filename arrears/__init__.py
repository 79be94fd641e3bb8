"""arrears: get IT-services businesses paid for their work."""

__version__ = "0.1.0"
