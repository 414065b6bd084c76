"""Settings helpers that decide where the cache and the broker live."""

from redis.connection import parse_url

from config.settings import _redis_db


def test_redis_db_picks_another_database_on_a_tcp_server():
    assert parse_url(_redis_db("redis://127.0.0.1:6379/0", 1))["db"] == 1


def test_redis_db_keeps_a_unix_socket_url_usable():
    options = parse_url(_redis_db("unix:///srv/var/redis.sock?db=0", 1))
    assert options["path"] == "/srv/var/redis.sock"
    assert options["db"] == 1
