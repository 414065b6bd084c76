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


def commerce_settings(tmp_path, names, **env):
    """The plugin's settings (community_commerce.conf) as a site started with this environment reads them."""
    from tests.serve.support import ROOT, demo_env

    environment = demo_env(tmp_path, REDIS_URL="redis://127.0.0.1:9/0", DJANGO_SETTINGS_MODULE="config.settings", **env)
    code = "import django; django.setup(); from community_commerce.conf import conf; " + "; ".join(
        f"print(repr(conf.{name}))" for name in names
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split("\n")[: len(names)]


BUYER_PROTECTION = [
    "AUTO_RECEIVE_DAYS", "AUTO_RECEIVE_REMIND_DAYS", "REFUND_DAYS", "RATING_BLIND_DAYS", "NEW_MERCHANT_ORDERS",
    "NEW_MERCHANT_MAX_VALUE", "DISPUTE_FLAG_RATE", "DISPUTE_FLAG_MIN_ORDERS", "REPUTATION_MAX_AGE", "DEFAULT_SHIP_DAYS",
]  # fmt: skip


def test_buyer_protection_settings_have_defaults_and_come_from_the_environment(tmp_path):
    assert commerce_settings(tmp_path, BUYER_PROTECTION) == [
        "10", "3", "7", "7", "5", "{'*': Decimal('2000')}", "Decimal('0.10')", "3", "600", "3",
    ]  # fmt: skip
    tuned = {f"COMMUNITY_COMMERCE_{name}": value for name, value in zip(BUYER_PROTECTION, [
        "14", "2", "30", "5", "10", "EUR=1500,JPY=200000,*=1000", "0.25", "8", "60", "2",
    ], strict=True)}  # fmt: skip
    assert commerce_settings(tmp_path, BUYER_PROTECTION, **tuned) == [
        "14", "2", "30", "5", "10", "{'EUR': Decimal('1500'), 'JPY': Decimal('200000'), '*': Decimal('1000')}",
        "Decimal('0.25')", "8", "60", "2",
    ]  # fmt: skip
