import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached fragments never leak from one test to the next."""
    cache.clear()
    yield


@pytest.fixture
def flood_off(settings):
    settings.FORUM_FLOOD_SECONDS = 0
    settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 0


def pytest_sessionfinish(session, exitstatus):
    """Stop the embedded Redis the run started (none is started when REDIS_URL is given)."""
    import os

    from django.conf import settings

    if not os.environ.get("REDIS_URL"):
        from config.embedded_redis import shutdown

        shutdown(settings.VAR_DIR)
