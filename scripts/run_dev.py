"""`make run`: the web server, a Celery worker and beat, stopped together by Ctrl-C.

Each child runs in its own session, so Ctrl-C reaches only this supervisor,
which stops the children in order (warm shutdown for the worker) and then
the embedded Redis it was using.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.embedded_redis import ensure_running, shutdown  # noqa: E402

VENV_BIN = Path(sys.executable).parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PORT = os.environ.get("PORT", "8000")


def banner():
    from forum.demo_accounts import DEMO_PASSWORD, MEMBERS

    print(f"\n  community_commerce is starting at http://127.0.0.1:{PORT}/\n")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for name, _role, note in MEMBERS:
        print(f"    {name:<12} {note}")
    print("  Admin site: /admin/   API docs: /api/v1/docs   Emails are printed here.\n  Ctrl-C stops everything.\n")


def main():
    embedded = not os.environ.get("REDIS_URL")
    if embedded:
        ensure_running(VAR_DIR)
    banner()
    celery = str(VENV_BIN / "celery")
    commands = {
        "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        "worker": [celery, "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [celery, "-A", "config", "beat", "--loglevel", "INFO", "--schedule", str(VAR_DIR / "celerybeat-schedule")],
    }  # fmt: skip
    children = {name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True) for name, cmd in commands.items()}
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"\n  {name} exited with code {child.returncode}; stopping the others.", flush=True)
                stopping, exit_code = True, 1
                break
        time.sleep(0.3)

    print("\n  Stopping web, worker and beat...", flush=True)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children.values():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if embedded:
        shutdown(VAR_DIR)
    print("  Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
