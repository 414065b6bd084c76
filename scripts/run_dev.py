"""`make run`: migrate and load the demo data, then serve: gunicorn (the
production server, config/gunicorn.py) on 127.0.0.1:$PORT, a Celery worker and
beat, all stopped together by Ctrl-C.

Without REDIS_URL this supervisor joins VAR_DIR's embedded Redis (starting it)
and hands its URL, and its share of it, to every child, so the server runs as
long as any of them and stops with the last (config/embedded_redis.py). Each
child runs in its own session, so Ctrl-C reaches only this supervisor, which
stops the children in order (warm shutdown for the worker), then the server.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded_redis  # noqa: E402

VENV_BIN = Path(sys.executable).parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PORT = os.environ.get("PORT", "8000")
DEBUG = os.environ.get("DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}


def web_command(port=PORT, host="127.0.0.1"):
    """The web server of `make run` (the benchmarks start the same one)."""
    return [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", str(ROOT / "config" / "gunicorn.py"),
            "--bind", f"{host}:{port}"]  # fmt: skip


def prepare(env):
    """What the site needs before it serves. Static files need no step in the demo:
    WhiteNoise finds them in place (config/settings.py); with DEBUG off they are collected."""
    steps = [["migrate", "--noinput"], ["seed_demo"], ["seed_commerce_demo"]]
    if not DEBUG:
        steps.append(["collectstatic", "--noinput", "--verbosity", "0"])
    for step in steps:
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)


def banner():
    from forum.demo_accounts import DEMO_PASSWORD, MEMBERS

    print(f"\n  community_commerce is starting at http://127.0.0.1:{PORT}/\n")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for name, _role, note in MEMBERS:
        print(f"    {name:<12} {note}")
    print("  Admin site: /admin/   API docs: /api/v1/docs   Emails are printed here.\n  Ctrl-C stops everything.\n")


def serve(env, pass_fds):
    celery = str(VENV_BIN / "celery")
    commands = {
        "web": web_command(),
        "worker": [celery, "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [celery, "-A", "config", "beat", "--loglevel", "INFO", "--schedule", str(VAR_DIR / "celerybeat-schedule")],
    }  # fmt: skip
    children = {}
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, cwd=ROOT, env=env, pass_fds=pass_fds, start_new_session=True)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"\n  {name} exited with code {child.returncode}; stopping the others.", flush=True)
                    stopping, exit_code = True, 1
                    break
            time.sleep(0.3)
    finally:
        print("\n  Stopping web, worker and beat...", flush=True)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # the whole group: no worker process left behind
                child.wait()
    return exit_code


def main():
    env = {**os.environ, "VAR_DIR": str(VAR_DIR), "PORT": PORT, "PYTHONUNBUFFERED": "1"}
    share = None
    if not env.get("REDIS_URL"):
        share = embedded_redis.join(VAR_DIR)
        env["REDIS_URL"] = f"{share.url}?db=0"
    try:
        prepare(env)
        banner()
        exit_code = serve(env, pass_fds=[share.fd] if share else [])
    except (KeyboardInterrupt, subprocess.CalledProcessError) as exc:
        exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        if share is not None and not share.leave():
            print("  The embedded Redis is still used by another process; it stops when that one ends.", flush=True)
    print("  Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
