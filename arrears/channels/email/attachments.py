"""Files that go with a message, made when it is composed (so the file matches the ledger at
the moment of sending). An outbox action names them in `data["attach"]`; the app that plans
such actions registers the maker in its `AppConfig.ready()`:
`add_attachment("plan-offer", fn(organisation, action, on) -> Attachment)`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from arrears.channels.base import Attachment

Maker = Callable[..., Attachment]
makers: dict[str, Maker] = {}


def add_attachment(name: str, fn: Maker) -> None:
    makers[name] = fn


def for_action(organisation, action, on: date) -> tuple[Attachment, ...]:
    """The attachments `action.data["attach"]` names (an unknown name raises: the row is
    retried and then failed, rather than sent without the file it promises)."""
    names = (action.data or {}).get("attach") or ()
    return tuple(makers[name](organisation, action, on) for name in names)
