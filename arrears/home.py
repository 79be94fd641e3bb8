"""The data folder ($ARREARS_HOME) is private: it holds the SQLite database (sessions,
password hashes), the secret key, uploaded documents and the error log. The folder is made
0700 and those files 0600, whatever the umask; a folder or file an older version left open to
other users is tightened, and the user is told once (after that there is nothing to say).

Nothing here imports Django: settings.py calls it before anything is written.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

FOLDER, FILE = 0o700, 0o600


def private_home(home: Path) -> None:
    """Create `home` 0700, or tighten it. A folder shared on purpose (sticky like /tmp, or
    another user's) is left alone, with a warning: chmod there would lock others out."""
    try:
        home.mkdir(mode=FOLDER, parents=True)
        return
    except FileExistsError:
        pass
    info = home.stat()
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if not loose:
        return
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
        _say(
            f"{home} is shared with other users; it holds the database and the secret key: "
            "set ARREARS_HOME to a folder of your own"
        )
        return
    home.chmod(FOLDER)
    _say(f"{home} was open to other users ({_octal(info.st_mode)}); tightened to 0700")


def private_file(path: Path, *, create: bool = False) -> None:
    """`path` readable by its owner only: created empty 0600 if asked and missing (SQLite
    then gives its -wal and -shm files the same mode), else tightened if looser."""
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE))
            return
        except FileExistsError:
            pass
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.geteuid():
        path.chmod(FILE)
        _say(f"{path} was readable by other users ({_octal(info.st_mode)}); tightened to 0600")


def _octal(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def _say(line: str) -> None:
    print(f"arrears: {line}", file=sys.stderr)
