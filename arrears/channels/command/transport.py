"""`command`: a program run with a timeout, the client's details in its environment
(ARREARS_CLIENT_ID, ARREARS_LEVEL_TO, … see Call.environment); exit status and output are
logged. A non-zero exit or a timeout is retried; a program that cannot be started is not."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

from arrears.channels.base import TransportError
from arrears.channels.hooks import (
    Call,
    HookKind,
    Outcome,
    argv_of,
    blank,
    clip,
    positive_int,
    unknown_settings,
)


def run_program(
    argv: list[str],
    env: dict[str, str],
    timeout: int,
    *,
    secret: bytes | None = None,
    keepalive: Callable[[], None] | None = None,
) -> Outcome:
    """Run `argv`; raise TransportError unless it exits 0. Shared with the escrow kind, which hands
    the program its `secret` on standard input: the secret is blanked out of the whole output
    before the output is clipped to what is kept. The program gets a process group of its
    own, so that a timeout ends whatever it started too (a background child would otherwise
    hold the output pipe open)."""

    def kept(output: bytes) -> str:
        text = output.decode("utf-8", "replace")
        return clip(blank(text, secret) if secret else text)

    try:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise TransportError(f"{argv[0]}: no such program", permanent=True) from None
    except PermissionError:
        raise TransportError(f"{argv[0]}: not executable", permanent=True) from None
    deadline, given = time.monotonic() + timeout, secret or b""
    while True:  # waits a second at a time, telling the worker's lease that it is alive
        left = deadline - time.monotonic()
        try:
            output, _ = proc.communicate(given, timeout=max(0.0, min(left, KEEPALIVE_SECONDS)))
            break
        except subprocess.TimeoutExpired:
            given = None  # sent already; the output so far is kept by communicate()
            if left > KEEPALIVE_SECONDS:
                if keepalive is not None:
                    keepalive()
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            raise TransportError(
                f"{argv[0]} did not finish within {timeout} s",
                outcome=Outcome(output=kept(output)),
            ) from None
    outcome = Outcome(exit_status=proc.returncode, output=kept(output))
    if proc.returncode != 0:
        raise TransportError(f"{argv[0]} exited with status {proc.returncode}", outcome=outcome)
    return outcome


KEEPALIVE_SECONDS = 1.0


class CommandTransport(HookKind):
    kind = "command"

    def check(self, raw: dict) -> tuple[dict, list[str]]:
        problems: list[str] = []
        unknown_settings(raw, {"argv", "timeout"}, problems)
        argv = argv_of(raw, "argv", problems)
        timeout = positive_int(raw, "timeout", 60, 3600, problems)
        return {"argv": argv, "timeout": timeout}, problems

    def run(self, settings: dict, call: Call) -> Outcome:
        return run_program(
            settings["argv"], call.environment(), settings["timeout"], keepalive=call.keepalive
        )

    def describe(self, settings: dict) -> str:
        return f"{' '.join(settings['argv'])} (timeout {settings['timeout']} s)"
