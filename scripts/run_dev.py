"""`make run`: migrate and load the demo data, then serve: gunicorn (the
production server, config/gunicorn.py) on 127.0.0.1:$PORT, a Celery worker and
beat, all stopped together by Ctrl-C. `make run-machina` (``--site machina``)
does the same for the django-machina example site (examples/machina_site): its
settings module in every child's environment, its own demo data and banner.

Without REDIS_URL this supervisor joins VAR_DIR's embedded Redis (starting it)
and hands its URL, and its share of it, to every child, so the server runs as
long as any of them and stops with the last (config/embedded_redis.py). Each
child runs in its own session, so Ctrl-C reaches only this supervisor, which
stops the children in order (warm shutdown for the worker), then the server.
"""

import argparse
import importlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded_redis  # noqa: E402

VENV_BIN = Path(sys.executable).parent
VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PORT = os.environ.get("PORT", "8000")
DEBUG = os.environ.get("DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Site:
    """What differs between the sites this supervisor runs."""

    title: str
    settings: str  # DJANGO_SETTINGS_MODULE of every step and child
    seeds: tuple  # manage.py commands (each a tuple of arguments) that load the demo data, in order
    accounts: str  # a module of plain constants: DEMO_PASSWORD and MEMBERS (name, role, note)
    beat_schedule: str  # file name under VAR_DIR


SITES = {
    "bundled": Site("community_commerce", "config.settings", (("seed_demo",), ("seed_commerce_demo",)),
                    "forum.demo_accounts", "celerybeat-schedule"),
    "machina": Site("The django-machina forum with community_commerce", "examples.machina_site.settings",
                    (("seed_machina_demo",), ("seed_commerce_demo", "--open-now")),
                    "examples.machina_site.demo_accounts", "celerybeat-schedule-machina"),
}  # fmt: skip


def web_command(port=PORT, host="127.0.0.1"):
    """The web server of `make run` (the benchmarks start the same one)."""
    return [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", str(ROOT / "config" / "gunicorn.py"),
            "--bind", f"{host}:{port}"]  # fmt: skip


def prepare(env, site=SITES["bundled"]):
    """What the site needs before it serves. Static files need no step in the demo:
    WhiteNoise finds them in place (config/settings.py); with DEBUG off they are collected."""
    steps = [["migrate", "--noinput"], *(list(seed) for seed in site.seeds)]
    if not DEBUG:
        steps.append(["collectstatic", "--noinput", "--verbosity", "0"])
    for step in steps:
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)


def banner(site=SITES["bundled"]):
    accounts = importlib.import_module(site.accounts)

    print(f"\n  {site.title} is starting at http://127.0.0.1:{PORT}/\n")
    print(f"  Demo logins (password for all: {accounts.DEMO_PASSWORD}):")
    for name, _role, note in accounts.MEMBERS:
        print(f"    {name:<12} {note}")
    print("  Admin site: /admin/   API docs: /api/v1/docs   Emails are printed here.\n  Ctrl-C stops everything.\n")


def serve(env, pass_fds, site=SITES["bundled"]):
    celery = str(VENV_BIN / "celery")
    commands = {
        "web": web_command(),
        "worker": [celery, "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [celery, "-A", "config", "beat", "--loglevel", "INFO", "--schedule", str(VAR_DIR / site.beat_schedule)],
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


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve a demo site: web, Celery worker and beat.")
    parser.add_argument("--site", choices=sorted(SITES), default="bundled")
    site = SITES[parser.parse_args(argv).site]
    env = {**os.environ, "VAR_DIR": str(VAR_DIR), "PORT": PORT, "PYTHONUNBUFFERED": "1",
           "DJANGO_SETTINGS_MODULE": site.settings}  # fmt: skip
    share = None
    if not env.get("REDIS_URL"):
        share = embedded_redis.join(VAR_DIR)
        env["REDIS_URL"] = f"{share.url}?db=0"
    try:
        prepare(env, site)
        banner(site)
        exit_code = serve(env, pass_fds=[share.fd] if share else [], site=site)
    except (KeyboardInterrupt, subprocess.CalledProcessError) as exc:
        exit_code = 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        if share is not None and not share.leave():
            print("  The embedded Redis is still used by another process; it stops when that one ends.", flush=True)
    print("  Stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
