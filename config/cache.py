"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's backend builds a new ``redis.Redis`` object for every cache call, and redis-py
fills a table of some 170 response callbacks each time: about 0.05 ms of CPU per call,
several times per request (session, offer snapshot, idempotency keys, rate limits). A
client shares its pool's connections safely between threads, so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
