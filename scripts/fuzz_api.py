"""Fuzz the JSON API with schemathesis against its own OpenAPI schema (.ci/run calls this).

Starts its own server (gunicorn) on a free port with a throwaway SQLite database
under var/ and the demo data, then fuzzes anonymously, as a member and as a
merchant (logged in through allauth's headless app API), each for a bounded time.
Fails on any 5xx, any status code the schema does not document, any non-JSON
answer, and any body that does not match the schema. Whatever it started (server,
embedded Redis, files) is stopped and removed at the end, even on Ctrl-C.

    .venv/bin/python scripts/fuzz_api.py                 # a random seed, printed
    FUZZ_SEED=1234 .venv/bin/python scripts/fuzz_api.py  # replay a run
    FUZZ_SECONDS=60 ...                                  # seconds per identity (default 45)

REDIS_URL, when set, is used (with a key prefix of its own) instead of the embedded Redis.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.embedded_redis import join  # noqa: E402

BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Who fuzzes: (label, username or None for anonymous). Demo members from seed_demo / seed_commerce_demo.
IDENTITIES = [("anonymous", None), ("member bob", "bob"), ("merchant greengrocer", "greengrocer")]
PASSWORD = "demo-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local server)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} in {seconds:.0f} s")
        time.sleep(0.2)


def login(base: str, username: str) -> str:
    """A session token from allauth's headless app API, as a mobile app gets one."""
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(  # noqa: S310 (our own local server)
        f"{base}/_allauth/app/v1/auth/login", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)["meta"]["session_token"]


def forget_keys(env: dict, prefix: str) -> None:
    """Delete what the server left in a shared Redis (REDIS_URL): every key under its prefix."""
    import redis

    client = redis.Redis.from_url(env.get("CACHE_REDIS_URL") or env["REDIS_URL"])
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def main() -> int:
    seed = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(1, 2**31))
    seconds = int(os.environ.get("FUZZ_SECONDS", "45"))
    print(f"fuzz_api: seed {seed} (replay with FUZZ_SEED={seed}), {seconds} s per identity", flush=True)

    run_id = f"fuzz-{os.getpid()}"
    var_dir = ROOT / "var" / run_id
    var_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
        "CACHE_KEY_PREFIX": run_id,
        "CELERY_TASK_ALWAYS_EAGER": "1",  # no worker: tasks (closes, notifications) run in the server
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "FORUM_FLOOD_SECONDS": "0",  # let the member post as fast as the fuzzer asks
        "FORUM_NEW_MEMBER_FLOOD_SECONDS": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    embedded = not os.environ.get("REDIS_URL")
    server = None
    log = open(var_dir / "server.log", "w")  # noqa: SIM115 (closed in finally)

    def stop(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    failed = []
    membership = None
    try:
        if embedded:  # this run's own server, up while we hold our share (the server processes join too)
            membership = join(var_dir)
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput"], ["seed_demo"], ["seed_commerce_demo"]):
            subprocess.run(manage + command, cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # No request-line limit: a URL too long for gunicorn (414) is a front server's
        # business; the fuzzer's long query strings are meant for the application.
        gunicorn = [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                    "--timeout", "30", "--limit-request-line", "0"]  # fmt: skip
        server = subprocess.Popen(
            gunicorn, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(f"{base}/api/v1/openapi.json")
        for label, username in IDENTITIES:
            headers = ["--header", f"X-Session-Token:{login(base, username)}"] if username else []
            print(f"\n==== fuzz_api: {label} ====", flush=True)
            command = [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks", CHECKS,
                "--seed", str(seed),
                "--max-time", str(seconds),
                "--request-timeout", "20",
                "--generation-database", "none",
                "--no-color",
                *headers,
            ]  # fmt: skip
            if subprocess.run(command, cwd=var_dir, env=env).returncode != 0:
                failed.append(label)
    except KeyboardInterrupt:
        failed.append("interrupted")
    except Exception as exc:  # setup failed: say what, then show the log below
        failed.append(f"{type(exc).__name__}: {exc}")
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()
        if failed:
            print(f"\nfuzz_api: FAILED ({', '.join(failed)}); replay with FUZZ_SEED={seed}", flush=True)
            print("---- last lines of the server log ----")
            print("".join((var_dir / "server.log").read_text(errors="replace").splitlines(True)[-60:]))
        if membership is not None:
            membership.leave()
        elif not embedded:
            forget_keys(env, run_id)
        shutil.rmtree(var_dir, ignore_errors=True)
    if not failed:
        print(f"\nfuzz_api: passed (seed {seed})", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
