"""Once and only once, tested by killing processes: `arrears apply` SIGKILLed at random moments
loses nothing and repeats only what was sent but not yet marked; two processes at once send
everything exactly once."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest

from .procs import ON_POSTGRES, installation, seed_nudges
from .smtp import smtp_server

pytestmark = pytest.mark.slow
DAY = "2026-05-08"
ACTIONS = 500


def statuses(inst) -> Counter:
    return Counter(
        dict(inst.query("SELECT status, COUNT(*) FROM dunning_outboxaction GROUP BY status"))
    )


def test_apply_killed_at_random_moments_loses_nothing_and_repeats_at_most_what_the_kills_cut(
    tmp_path,
):
    rng = random.Random(20261123)
    with smtp_server() as (sink, port), installation(tmp_path, f"smtp://127.0.0.1:{port}") as inst:
        sink.delay = 0.015  # a mail server that takes its time, so that kills land mid-send
        seed_nudges(inst, ACTIONS)
        kills = cut = 0
        for _ in range(20):
            before = Counter(sink.keys())
            proc = inst.start("apply", "--date", DAY, "--workers", "1")
            time.sleep(rng.uniform(0.6, 2.4))
            if proc.poll() is not None:
                break  # finished before the kill: everything went out
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            received = Counter(sink.keys())
            # a kill "cut" a delivery when the row is still `sending` but its message arrived in this run
            sending = {
                k
                for (k,) in inst.query(
                    "SELECT key FROM dunning_outboxaction WHERE status = 'sending'"
                )
            }
            cut += sum(1 for k in sending if received[k] > before[k])
        for _ in range(5):
            if (
                inst.arrears("apply", "--date", DAY, check=False).returncode == 0
                and statuses(inst)["sent"] >= ACTIONS
            ):
                break
        received = Counter(sink.keys())
        keys = {k for (k,) in inst.query("SELECT key FROM dunning_outboxaction")}
        duplicates = sum(n - 1 for n in received.values())
        print(
            f"\n{kills} kills, {cut} landed between 'sent' and 'marked sent', {duplicates} messages delivered twice"
        )
        assert len(keys) == ACTIONS and set(received) == keys  # every action delivered
        assert statuses(inst) == Counter({"sent": ACTIONS})
        assert duplicates <= cut
        assert kills >= 3  # the test did what it says
        performed = inst.query(
            "SELECT COUNT(*) FROM dunning_steprecord WHERE step = 'nudge-1' AND state = 'performed'"
        )
        assert performed == [(ACTIONS,)]


def test_two_processes_at_once_deliver_every_action_exactly_once(tmp_path):
    with smtp_server() as (sink, port), installation(tmp_path, f"smtp://127.0.0.1:{port}") as inst:
        sink.delay = 0.002
        seed_nudges(inst, ACTIONS)
        procs = [inst.start("apply", "--date", DAY) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        received = Counter(sink.keys())
        assert len(received) == ACTIONS and set(received.values()) == {1}, (
            "each action exactly once"
        )
        assert statuses(inst) == Counter({"sent": ACTIONS})
        sent_by = [int(o.split(" sent,")[0].rsplit(" ", 1)[1]) for o, _ in outs]
        print(
            f"\n{'PostgreSQL' if ON_POSTGRES else 'SQLite'}: the two processes sent {sent_by[0]} and {sent_by[1]}"
        )
        assert sum(sent_by) == ACTIONS
