"""A real SMTP server in the test process (aiosmtpd), to receive what arrears sends."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def header(self, name: str) -> str:
        value = self.message[name]
        return "" if value is None else str(value)

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class Sink:
    """Collects messages. `refuse` maps an address to an SMTP reply for RCPT TO;
    `fail_data` makes DATA answer with that reply (e.g. '451 try later'); `fail_data_for` does
    it only for messages to the given address."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    fail_data: str | None = None
    fail_data_for: dict[str, str] = field(default_factory=dict)
    pipelining: bool = False  # offer PIPELINING (RFC 2920) in the EHLO reply
    delay: float = 0.0  # seconds to wait before answering DATA
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_data:
            return self.fail_data
        for address in envelope.rcpt_tos:
            if address in self.fail_data_for:
                return self.fail_data_for[address]
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def keys(self) -> list[str]:
        with self.lock:
            return [m.header("X-Arrears-Key") for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server():
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


class Relay:
    """A TCP relay in front of a server that counts the client's turns: how many times the
    client spoke after the server had (a client that pipelines its envelope takes two turns
    per message, one that waits for each reply takes one per command)."""

    def __init__(self, port: int):
        self.target = port
        self.turns = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.last = "server"
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(
                target=self._pipe, args=(client, server, "client"), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(server, client, "server"), daemon=True
            ).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, side: str) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    if side == "client" and self.last == "server":
                        self.turns += 1
                    self.last = side
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
