"""How fast `arrears apply` sends, next to a plain smtplib loop, both into the same local sink.

    python bench/send.py --messages 5000 [--workers 1]

A local aiosmtpd sink runs in its own process. In this one run, `--repeat` times in turn (each
arrears run on a fresh ledger; default 3), keeping the fastest of each:

  baseline  a plain `smtplib` loop over one connection sending N ready-made messages of the
            same size as arrears' (a text and an HTML part);
  arrears   `arrears apply` for a ledger with N clients whose invoice is at nudge-1 that day:
            plan, write the outbox, and for each action re-check the ledger, write its steps in
            flight, render the templates, send, and mark it sent with the stored message.

  transport arrears' email transport alone (`EmailTransport.send`: the message built by the
            standard library, sent by smtplib) for N ready `Outgoing`s with the same words.

Target (issue 13): per worker, arrears' throughput at least 0.5 of the baseline's (arrears with
`--workers N` against N times the baseline); more throughput comes from more workers, not
from writing SMTP or MIME by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

SINK = """
import asyncio, signal, sys
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(Count.n, flush=True)
c.stop()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def count(self) -> int:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def words() -> tuple[str, str]:
    text = (
        "Dear AP,\n\n" + "We have not yet received payment for the invoice below. " * 6 + "\n" * 3
    )
    return text, "<html><body><p>" + text.replace("\n", "<br>") * 2 + "</p></body></html>"


def baseline(port: int, n: int) -> float:
    text, html = words()
    messages = []
    for i in range(n):
        m = EmailMessage()
        m["From"] = "Bench <arrears@localhost>"
        m["To"] = f"ap{i}@client{i}.example"
        m["Subject"] = f"Follow-up: Invoice #INV-{i:05d} [OVERDUE]"
        m.set_content(text)
        m.add_alternative(html, subtype="html")
        messages.append(m)
    t = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for m in messages:
            smtp.send_message(m)
    return time.perf_counter() - t


def transport(n: int) -> float:
    """Run in a process of its own with the ledger's settings (see `main`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")
    django.setup()
    from arrears.channels.base import Outgoing
    from arrears.channels.email import sender
    from arrears.channels.email.transport import EmailTransport

    text, html = words()
    messages = [
        Outgoing(
            f"Follow-up: Invoice #INV-{i:05d} [OVERDUE]",
            text,
            html,
            sender("Bench", "arrears@localhost"),
            (f"ap{i}@client{i}.example",),
            headers={"Message-ID": f"<{i}.bench@localhost>", "X-Arrears-Key": f"bench/{i}"},
        )
        for i in range(n)
    ]
    t = time.perf_counter()
    with EmailTransport() as mail:
        for m in messages:
            mail.send(m)
    return time.perf_counter() - t


def transport_alone(env: dict, n: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--transport-alone", "--messages", str(n)],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},  # this checkout
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(out.stdout + out.stderr)
    return float(out.stdout.split()[-1])


def setup(home: Path, n: int, port: int) -> dict:
    env = {
        **os.environ,
        "ARREARS_HOME": str(home),
        "ARREARS_DATABASE_URL": "",
        "ARREARS_EMAIL_URL": f"smtp://127.0.0.1:{port}",
    }
    (home / "pw").write_text("bench-password-123\n")

    def run(*a):
        subprocess.run(
            [sys.executable, "-m", "arrears", *a], env=env, check=True, capture_output=True
        )

    run(
        "init",
        "--no-input",
        "--org",
        "Bench",
        "--country",
        "GB",
        "--email",
        "b@bench.example",
        "--password-file",
        str(home / "pw"),
    )
    (home / "c.csv").write_text(
        "client_id,name,country,timezone,currency\n"
        + "".join(f"C{i:05d},Client {i},GB,Europe/London,GBP\n" for i in range(n))
    )
    (home / "p.csv").write_text(
        "client_id,name,email,roles\n"
        + "".join(f"C{i:05d},AP {i},ap{i}@client{i}.example,billing\n" for i in range(n))
    )
    (home / "i.csv").write_text(
        "invoice_number,client_id,issue_date,due_date,amount\n"
        + "".join(f"INV-{i:05d},C{i:05d},2026-04-05,2026-05-05,{100 + i}.50\n" for i in range(n))
    )
    for kind, f in (("clients", "c.csv"), ("contacts", "p.csv"), ("invoices", "i.csv")):
        run("import", kind, str(home / f))
    return env


def children_cpu() -> float:
    """CPU seconds (user and system) of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def arrears_apply(env: dict, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the whole `arrears apply` process."""
    cpu = children_cpu()
    t = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "arrears",
            "apply",
            "--date",
            "2026-05-08",
            "--workers",
            str(workers),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(out.stdout + out.stderr)
    return elapsed, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`arrears apply --workers` (default here: 1, the figure per worker)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure both this many times in turn, each arrears run on a fresh ledger, and keep"
        " each one's fastest (the machines here are noisy)",
    )
    parser.add_argument("--transport-alone", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.messages
    if args.transport_alone:  # the child process of `transport_alone`
        print(transport(n))
        return
    bases, ourses, mails, cpus = [], [], [], []
    sink = Sink()
    try:
        for _ in range(max(1, args.repeat)):
            with tempfile.TemporaryDirectory(prefix="arrears-send-") as tmp:
                env = setup(Path(tmp), n, sink.port)
                before = sink.count()
                bases.append(baseline(sink.port, n))
                after_base = sink.count() - before
                wall, cpu = arrears_apply(env, args.workers)
                ourses.append(wall)
                cpus.append(cpu)
                after_ours = sink.count() - before - after_base
                mails.append(transport_alone(env, n))
                after_mail = sink.count() - before - after_base - after_ours
            assert after_base == n and after_ours == n == after_mail, (after_base, after_ours)
    finally:
        sink.close()
    print("baseline: " + ", ".join(f"{t:.2f}" for t in bases) + " s")
    print("arrears:  " + ", ".join(f"{t:.2f}" for t in ourses) + " s")
    print("transport: " + ", ".join(f"{t:.2f}" for t in mails) + " s")
    # on a busy machine the wall clock says more about the neighbours than about arrears: its
    # CPU time (all its threads, SQLite included) is the steadier figure
    print("arrears CPU: " + ", ".join(f"{t:.2f}" for t in cpus) + " s")
    base, ours, mail = min(bases), min(ourses), min(mails)
    print(f"{n:,} messages into a local aiosmtpd sink; the fastest of {len(bases)} runs:")
    print(
        f"baseline  {n / base:>8,.0f} msg/s  ({base:.2f}s: smtplib, one connection, ready-made messages)"
    )
    print(
        f"arrears   {n / ours:>8,.0f} msg/s  ({ours:.2f}s: the whole `arrears apply "
        f"--workers {args.workers}` process)"
    )
    print(
        f"transport {n / mail:>8,.0f} msg/s  ({mail:.2f}s: EmailTransport.send alone, "
        f"{base / mail:.2f} of the baseline)"
    )
    cpu = min(cpus)
    print(
        f"arrears CPU {cpu:.2f}s, {cpu / n * 1000:.2f} ms per message (start-up and planning"
        f" included), load average {os.getloadavg()[0]:.1f}"
    )
    ratio = base / ours
    per_worker = ratio / args.workers
    print(
        f"arrears / baseline throughput = {ratio:.2f}, per worker {per_worker:.2f}"
        f"  (target >= 0.5 per worker: {'met' if per_worker >= 0.5 else 'NOT met'})"
    )
    print(
        json.dumps(
            {
                "baseline_s": round(base, 3),
                "arrears_s": round(ours, 3),
                "transport_s": round(mail, 3),
                "arrears_cpu_s": round(cpu, 3),
                "workers": args.workers,
                "ratio": round(ratio, 3),
                "per_worker": round(per_worker, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
