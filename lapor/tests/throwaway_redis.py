"""A redis-server of a test's own on a free loopback port, which the test may stop and start again
(the shared Redis on 6379 is never stopped)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest

REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs redis-server (apt-get install redis-server)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayRedis:
    def __init__(self, folder) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class HoldingSMTP:
    """A minimal SMTP server on a free loopback port that records every message (recipients, data)
    and, while `hold` is set, keeps each new session waiting before its greeting: a mail task stays
    in flight for as long as a test wants."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.released = threading.Event()
        self.released.set()
        self.session_started = threading.Event()
        self.messages: list[tuple[list[str], bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.released.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn) -> None:
        with conn, conn.makefile("rwb") as f:
            self.session_started.set()
            self.released.wait(60)

            def say(line: str) -> None:
                f.write(line.encode() + b"\r\n")
                f.flush()

            say("220 test SMTP")
            rcpts: list[str] = []
            while line := f.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO", b"MAIL", b"RSET", b"NOOP"):
                    rcpts = [] if verb in (b"MAIL", b"RSET") else rcpts
                    say("250 OK")
                elif verb == b"RCPT":
                    rcpts.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                    say("250 OK")
                elif verb == b"DATA":
                    say("354 go on")
                    data = b""
                    while (chunk := f.readline()) not in (b".\r\n", b""):
                        data += chunk
                    self.messages.append((rcpts, data))
                    say("250 queued")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 not implemented")
