"""Settings helpers that decide where the cache and the broker live, and the demo's address."""

import subprocess
import sys

from redis.connection import parse_url

from config.settings import _redis_db


def test_redis_db_picks_another_database_on_a_tcp_server():
    assert parse_url(_redis_db("redis://127.0.0.1:6379/0", 1))["db"] == 1


def test_redis_db_keeps_a_unix_socket_url_usable():
    options = parse_url(_redis_db("unix:///srv/var/redis.sock?db=0", 1))
    assert options["path"] == "/srv/var/redis.sock"
    assert options["db"] == 1


def site_url(tmp_path, **env):
    """SITE_URL as config.settings computes it from this environment (a fresh process)."""
    from tests.serve.support import ROOT, demo_env

    environment = demo_env(tmp_path, REDIS_URL="redis://127.0.0.1:9/0", **env)  # given: nothing is started
    done = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.SITE_URL)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_the_demo_site_url_follows_port(tmp_path):
    """Defect 9: emails linked to 127.0.0.1:8000 whatever PORT `make run` served on."""
    assert site_url(tmp_path, PORT="8123") == "http://127.0.0.1:8123"
    assert site_url(tmp_path) == "http://127.0.0.1:8000"
    assert site_url(tmp_path, PORT="8123", SITE_URL="https://forum.example.org/") == "https://forum.example.org"


def database_options(tmp_path, **env):
    from tests.serve.support import ROOT, demo_env

    environment = demo_env(tmp_path, REDIS_URL="redis://127.0.0.1:9/0", **env)
    done = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.DATABASES['default'].get('OPTIONS'))"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_postgresql_binds_on_the_server_and_prepares_unless_told_not_to(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432/anything"
    assert database_options(tmp_path, DATABASE_URL=url) == "{'server_side_binding': True, 'prepare_threshold': 2}"
    behind_pgbouncer = database_options(tmp_path, DATABASE_URL=url, DB_PREPARED_STATEMENTS="0")
    assert behind_pgbouncer == "{'server_side_binding': True, 'prepare_threshold': None}"
