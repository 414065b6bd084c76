"""`make run`'s supervisor (scripts/run_dev.py) as a process a test or a benchmark
starts on its own VAR_DIR and port, and the processes left for a VAR_DIR.

A throwaway VAR_DIR gives the site its own SQLite database and embedded Redis,
and names every process of the run: the redis-server and its watcher carry it
on their command line, the others in their environment.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.concurrency.crowd import Call, one

ROOT = Path(__file__).resolve().parents[2]

# What a test run or a benchmark sets for itself and `make run` must not inherit.
NOT_INHERITED = [
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL", "BROKER_URL", "TEST_BROKER_URL",
    "VAR_DIR", "PORT", "SITE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "LOG_LEVEL",
    "TEST_RUN_ID", "BENCH_RUN_ID", "CELERY_TASK_ALWAYS_EAGER", "COMMUNITY_COMMERCE_SWEEP_SECONDS",
    "CACHE_KEY_PREFIX", "EMAIL_BACKEND", "WEB_CONCURRENCY", "GUNICORN_THREADS",
]  # fmt: skip


def demo_env(var_dir, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return {**env, "VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1", **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(var_dir) -> list[tuple[int, str]]:
    """(pid, command line) of every live process but this one that names ``var_dir``
    in its command line or its environment (Linux /proc)."""
    needle = str(var_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in cmdline or f"VAR_DIR={var_dir}\0".encode() in environ:
            found.append((int(entry.name), cmdline.replace(b"\0", b" ").decode(errors="replace").strip()))
    return found


def wait_gone(var_dir, timeout=15) -> list[tuple[int, str]]:
    """The processes of ``var_dir`` still alive after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (left := processes_of(var_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


class MakeRun:
    """scripts/run_dev.py on ``var_dir`` and ``port``, its output in ``log``; ``site`` is
    its ``--site`` (``make run`` the bundled one, ``make run-machina`` machina)."""

    def __init__(self, var_dir, log, port=None, site="bundled", **env):
        self.var_dir, self.log, self.site = Path(var_dir), Path(log), site
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = demo_env(self.var_dir, PORT=str(self.port), **env)
        self.proc = None

    def start(self, timeout=180):
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "run_dev.py"), "--site", self.site], cwd=ROOT,
                env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,  # so that only this test's SIGINT reaches it
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while one(self.base, Call("GET", "/api/v1/offers")).status != 200:  # served once migrated and seeded
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"make run did not serve:\n{self.output()[-5000:]}")
            time.sleep(0.3)
        return self

    def stage(self, *args) -> dict:
        """``python -m tests.serve.stage ...`` as a command beside the running site."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.serve.stage", *map(str, args)], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"stage {args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def interrupt(self, timeout=60) -> int:
        """Ctrl-C: SIGINT to the supervisor alone; its exit code."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def kill(self):
        """Teardown whatever happened: the supervisor, then anything of this VAR_DIR it left."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid, _command in processes_of(self.var_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""
