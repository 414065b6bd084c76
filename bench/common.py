"""What the benchmarks share: the processes they start (gunicorn, Celery worker
and beat, always stopped), members with session tokens, an asyncio HTTP/1.1
load generator, percentiles."""

import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG_DIR = ROOT / "var" / "bench"


def process_env(**extra) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONUNBUFFERED": "1", **extra}


class Process:
    """A command in its own process group, its output in a log file; stop() always ends it."""

    def __init__(self, name, args, env):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name, self.args, self.env = name, args, env
        self.log = LOG_DIR / f"{name}.log"
        self.log.write_bytes(b"")
        self.proc = None

    def start(self, ready=None, timeout=60):
        with open(self.log, "ab") as handle:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while ready and not ready(self.output()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def gunicorn(workers=4):
    """gunicorn config.wsgi on a port the kernel picks; ``.base`` is its URL once it answers."""
    server = Process(
        "gunicorn",
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers), "--bind", "127.0.0.1:0",
         "--backlog", "2048", "--timeout", "120", "--graceful-timeout", "5", "--error-logfile", "-",
         "--log-level", "info"],
        process_env(),
    )  # fmt: skip
    server.start(lambda out: out.count("Booting worker") >= workers and "Listening at" in out)
    server.base = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", server.output()).group(1)
    deadline = time.monotonic() + 60
    while asyncio.run(fetch(server.base, "GET", "/api/v1/categories"))[0] != 200:
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"gunicorn does not answer:\n{server.output()[-3000:]}")
        time.sleep(0.2)
    return server


def celery(kind, name, *args, **env):
    celery_bin = str(Path(sys.executable).parent / "celery")
    if kind == "worker":
        command = [celery_bin, "-A", "config", "worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "--hostname", f"{name}-{os.getpid()}@%h", *args]  # fmt: skip
        ready = "ready."
    else:
        command = [celery_bin, "-A", "config", "beat", "--loglevel", "INFO",
                   "--schedule", str(LOG_DIR / f"{name}-schedule"), *args]  # fmt: skip
        ready = "beat: Starting"
    return Process(name, command, process_env(LOG_LEVEL="INFO", **env)).start(lambda out: ready in out)


# --- Members ---------------------------------------------------------------------------------------


def members(count, prefix):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    user_model = get_user_model()
    now = timezone.now()
    rows = []
    for i in range(count):
        member = user_model(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", date_joined=now - timedelta(30))
        member.set_unusable_password()
        rows.append(member)
    return user_model.objects.bulk_create(rows, batch_size=1000)


def session_token(member) -> str:
    """allauth's app session token is a Django session key; this session holds
    what django.contrib.auth.login writes (see tests/concurrency/support.py)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(member.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = member.get_session_auth_hash()
    store.create()
    return store.session_key


# --- Load ------------------------------------------------------------------------------------------


def _request(host, port, method, path, token=None, body=None) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", f"Content-Length: {len(payload)}"]
    if body is not None:
        head.append("Content-Type: application/json")
    if token:
        head.append(f"X-Session-Token: {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


def _parse(raw: bytes):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body[:500]


async def fetch(base, method, path, token=None, body=None):
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(_request(host, port, method, path, token, body))
        await writer.drain()
        return _parse(await asyncio.wait_for(reader.read(), timeout=60))
    finally:
        writer.close()


@dataclass
class Load:
    """What a closed-loop load run measured inside its window."""

    seconds: float
    latencies: list = field(default_factory=list)  # seconds, answers inside the window
    statuses: dict = field(default_factory=dict)  # (status, code) -> count, whole run
    bodies: list = field(default_factory=list)  # the 201 bodies, whole run

    @property
    def rate(self):
        return len(self.latencies) / self.seconds

    def pct(self, p):
        return percentile(self.latencies, p) * 1000


async def closed_loop(base, make_request, *, users, warmup, seconds, stop_when=None):
    """``users`` virtual users, each sending its next request when the last is answered
    (a new connection each: gunicorn's sync workers close them). Only answers
    inside [warmup, warmup + seconds] count in the rate and the latencies."""
    result = Load(seconds=seconds)
    start = time.monotonic()
    window = (start + warmup, start + warmup + seconds)
    counter = iter(range(10**9))

    async def user():
        while time.monotonic() < window[1]:
            method, path, token, body = make_request(next(counter))
            sent = time.monotonic()
            status, answer = await fetch(base, method, path, token, body)
            done = time.monotonic()
            code = answer.get("code") if isinstance(answer, dict) else None
            result.statuses[(status, code)] = result.statuses.get((status, code), 0) + 1
            if status == 201:
                result.bodies.append(answer)
            if window[0] <= sent and done <= window[1]:
                result.latencies.append(done - sent)
            if stop_when is not None and stop_when(status, answer):
                return

    await asyncio.gather(*(user() for _ in range(users)))
    return result


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def median(values):
    return statistics.median(values) if values else float("nan")
