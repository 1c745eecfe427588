"""A real SMTP server for the tests: aiosmtpd on a loopback port, in a thread of the test
process, which records what it accepted and can be told to misbehave (refuse an address with a
5xx, answer 421 for a while, answer slowly)."""

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list
    raw: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> reply to RCPT, e.g. "550 no such user"
        self.busy_until = 0.0  # time.time() before which MAIL FROM gets 421
        self.delay = 0.0  # seconds DATA takes
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if time.time() < self.busy_until:
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)  # a client that hangs up meanwhile cancels this
        with self.lock:
            received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            self.received.append(received)
        return "250 2.0.0 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.recipients]


class SmtpServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, decode_data=False
        )

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)
