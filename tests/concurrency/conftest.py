"""Processes for the crowd and fault tests: gunicorn with several workers and
real Celery workers and beat, all against the test database and this run's
Redis (TEST_RUN_ID: cache key prefix and task queue). Every process is stopped
at teardown, whatever the test did."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.concurrency.crowd import Call, one
from tests.integration.conftest import _database_url, beat, celery_env, start_worker  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_WORKERS = 4


class Gunicorn:
    """``gunicorn config.wsgi`` in its own process group, on a port the kernel picks."""

    def __init__(self, env, log):
        self.env, self.log = env, log
        self.proc = None
        self.base = None

    def start(self, timeout=60):
        handle = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(GUNICORN_WORKERS),
             "--bind", "127.0.0.1:0", "--backlog", "2048", "--timeout", "120", "--graceful-timeout", "5",
             "--error-logfile", "-", "--log-level", "info"],
            cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        handle.close()
        deadline = time.monotonic() + timeout
        while self.base is None or self.output().count("Booting worker") < GUNICORN_WORKERS:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{self.output()}")
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.output())
            self.base = found.group(1) if found else None
            time.sleep(0.1)
        while one(self.base, Call("GET", "/api/v1/categories")).status != 200:  # every import done, DB reachable
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn does not answer:\n{self.output()}")
            time.sleep(0.2)
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

    def errors(self):
        """Tracebacks and 5xx lines the server logged (the tests also check every status code)."""
        return [line for line in self.output().splitlines() if "Traceback" in line or "Internal Server Error" in line]


@pytest.fixture(scope="session")
def server(django_db_setup, tmp_path_factory):
    """One gunicorn for the session (started on first use): 4 sync workers on the test database.
    Tests with it use transactional_db, so what they write is committed and the server sees it."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "COMMUNITY_COMMERCE_SWEEP_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    process = Gunicorn(env, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    try:
        yield process.start()
    finally:
        process.stop()
        from config.celery import app

        app.control.purge()  # the notification tasks the claims queued, with nobody to run them


@pytest.fixture
def live(server, transactional_db):
    """The running server, with a check after the test that it logged no error."""
    before = len(server.errors())
    yield server
    assert server.errors()[before:] == [], server.output()[-5000:]
