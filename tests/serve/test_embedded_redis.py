"""Defect 10: a `manage.py` command without REDIS_URL used to start VAR_DIR's
embedded redis-server and leave it running after it exited. Now a process
without REDIS_URL shares the server while it lives and the last one out stops
it; a server another process (`make run`) still uses is left alone.

Each test runs real `manage.py` processes on a throwaway VAR_DIR and reads the
process table (Linux /proc) for what is left of that VAR_DIR."""

import signal
import subprocess
import sys

import pytest

from config import embedded_redis
from tests.serve.support import ROOT, demo_env, wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table from /proc")

TOUCH_CACHE = "from django.core.cache import cache; cache.set('answer', 41); print(cache.get('answer') + 1)"


def manage(var_dir, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=demo_env(var_dir), capture_output=True, text=True,
        timeout=120, **kwargs,
    )  # fmt: skip


def test_check_leaves_no_redis_server(tmp_path):
    done = manage(tmp_path, "check")
    assert done.returncode == 0, done.stderr
    assert wait_gone(tmp_path) == []


def test_a_command_that_uses_the_cache_gets_redis_and_stops_it(tmp_path):
    done = manage(tmp_path, "shell", "-v", "0", "-c", TOUCH_CACHE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "42"  # a real Redis answered
    assert wait_gone(tmp_path) == []
    assert not embedded_redis.running(tmp_path)


def test_a_killed_command_leaves_no_redis_server(tmp_path):
    command = TOUCH_CACHE + "; import time; time.sleep(120)"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", command], cwd=ROOT, env=demo_env(tmp_path),
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "42"
        assert embedded_redis.running(tmp_path)
        proc.send_signal(signal.SIGKILL)  # no exit handler runs
        proc.wait()
        assert wait_gone(tmp_path) == []
    finally:
        proc.kill()
        proc.wait()


def test_a_command_never_stops_the_server_make_run_uses(tmp_path):
    share = embedded_redis.join(tmp_path)  # what make run's supervisor holds while it serves
    try:
        done = manage(tmp_path, "shell", "-v", "0", "-c", TOUCH_CACHE)
        assert done.returncode == 0, done.stderr
        assert wait_gone(tmp_path, timeout=1) != []  # still up a second later...
        assert embedded_redis.running(tmp_path)  # ...and answering
    finally:
        stopped = share.leave()
    assert stopped  # make run's Ctrl-C: the last user out stops it at once
    assert wait_gone(tmp_path) == []
