"""`arrears serve` starts a real web server that answers on its port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from .test_cli import run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_the_login_page(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("a long enough passphrase\n")
    assert (
        run(
            tmp_path,
            "init",
            "--no-input",
            "--org",
            "Srv",
            "--country",
            "GB",
            "--email",
            "s@srv.example",
            "--password-file",
            str(pw),
        ).returncode
        == 0
    )
    port = free_port()
    env = {**os.environ, "ARREARS_HOME": str(tmp_path)}
    env.pop("ARREARS_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "arrears", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    assert r.status == 200 and b'"status": "ok"' in r.read()
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
            assert b"Log in" in r.read()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/web/arrears.css", timeout=5
        ) as r:
            assert b"--accent" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
