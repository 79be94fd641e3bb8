"""What the user sees when a verb fails in a way nobody foresaw: one line saying what went
wrong and where the details are, never a traceback. The traceback goes to
$ARREARS_HOME/arrears.log (0600: it may quote ledger values), with the command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from .common import err, esc

LOG_NAME = "arrears.log"


def crashed(exc: BaseException, verb: str, argv: list[str]) -> None:
    """Log `exc` with its traceback and the command line `argv`, say so in one line, exit 2."""
    if isinstance(exc, BrokenPipeError):  # the reader went away (`arrears export | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    command = f"arrears {verb}".strip()
    what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
    try:
        where = f"details were written to {_log(exc, argv)}"
    except OSError as log_failed:
        where = f"the details could not be written ({log_failed})"
    err.print(
        f"[bold red]error:[/] {esc(f'{command} failed unexpectedly ({what}); {where}')}",
        markup=True,
        highlight=False,
    )
    sys.exit(2)


def _log(exc: BaseException, argv: list[str]) -> Path:
    from arrears.env import arrears_home
    from arrears.home import private_file, private_home

    home = arrears_home()
    private_home(home)
    path = home / LOG_NAME
    private_file(path, create=True)
    logger = logging.getLogger("arrears.crash")
    logger.propagate = False  # the console handler of the settings would print the traceback
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.error("arrears %s", " ".join(argv), exc_info=(type(exc), exc, exc.__traceback__))
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path
