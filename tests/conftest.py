import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Rate-limit counters and cached fragments never leak from one test to the next.
    Only this run's keys go: another run may share the Redis database."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture(autouse=True)
def _established_shops(request, settings):
    """Most tests post offers for brand-new shops, worth more than a new shop may offer; the
    new-shop limit (COMMUNITY_COMMERCE_NEW_MERCHANT_ORDERS) is lifted for them. Tests marked
    ``new_shop_limits`` (the limit's own) run with the defaults."""
    if "new_shop_limits" not in request.keywords:
        settings.COMMUNITY_COMMERCE_NEW_MERCHANT_ORDERS = 0


@pytest.fixture
def flood_off(settings):
    settings.FORUM_FLOOD_SECONDS = 0
    settings.FORUM_NEW_MEMBER_FLOOD_SECONDS = 0
