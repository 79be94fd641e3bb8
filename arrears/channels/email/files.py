"""`ARREARS_EMAIL_URL=file:///folder`: each message in a file of its own,
`<date>-<time>-<random>.eml`, the bytes a mail server would get (a mail client opens it)."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from django.core.mail import InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(file_path).absolute()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidMailer(
                f"cannot make the mail folder {self.folder}: {exc}", alias=self.alias
            ) from exc
        if not os.access(self.folder, os.W_OK):
            raise InvalidMailer(f"cannot write to the mail folder {self.folder}", alias=self.alias)

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            data = message.message().as_bytes()
            # a unique name, created exclusively, readable only by this user (mail is private)
            fd, _ = tempfile.mkstemp(
                prefix=f"{datetime.now():%Y%m%d-%H%M%S}-", suffix=".eml", dir=self.folder
            )
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        return len(email_messages)
