"""A real Celery worker and beat, started as processes against the test
database and the test run's Redis, for tests that need them."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")
SWEEP_SECONDS = 2


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


class CeleryProcess:
    """One celery command in its own process group, its output in a log file."""

    def __init__(self, name, args, env, log_dir):
        self.name, self.args, self.env = name, args, env
        self.log = Path(log_dir) / f"{name}.log"
        self.proc = None

    def start(self, ready_text=None, timeout=30):
        handle = open(self.log, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [CELERY, "-A", "config", *self.args], cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        handle.close()
        if ready_text:
            deadline = time.monotonic() + timeout
            while ready_text not in self.log.read_text(errors="replace"):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start:\n{self.output()}")
                time.sleep(0.1)
        return self

    def kill(self):
        """SIGKILL the whole process group: the worker and its pool die at once, acking nothing."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self):
        return self.log.read_text(errors="replace")[-5000:] if self.log.exists() else ""


@pytest.fixture
def celery_env(transactional_db, tmp_path):
    """Publish tasks to the broker (not eagerly) and give the processes the test database."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    env = {
        **os.environ,
        # this run's site (pytest-django set it from --ds or the ini): tests.settings or tests.machina.settings
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "COMMUNITY_COMMERCE_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    yield env
    celery_app.conf.task_always_eager = True


@pytest.fixture
def start_worker(celery_env, tmp_path):
    started = []

    def start(name="worker"):
        worker = CeleryProcess(
            name,
            ["worker", "--loglevel", "INFO", "--concurrency", "2", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--hostname", f"{name}-{os.getpid()}@%h"],
            celery_env,
            tmp_path,
        ).start(ready_text="ready.")  # fmt: skip
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def beat(celery_env, tmp_path):
    process = CeleryProcess(
        "beat", ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")], celery_env, tmp_path
    ).start(ready_text="beat: Starting")
    yield process
    process.stop()


def wait_for(predicate, *, timeout, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
