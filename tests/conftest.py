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
