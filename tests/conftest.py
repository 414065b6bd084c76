import os
from pathlib import Path

import pytest
from django.core.cache import cache

# Two sites, two pytest runs (tests/machina/__init__.py): `pytest` runs the bundled forum's
# suite, `pytest --ds=tests.machina.settings tests/machina` the django-machina site's.
# Each leaves the other's tests out; a run that names both fails at once, with the commands.
MACHINA_RUN = os.environ.get("DJANGO_SETTINGS_MODULE", "").startswith("tests.machina")
_HERE = Path(__file__).resolve().parent
_OWN = {"machina", "conftest.py", "__init__.py", "__pycache__"}
collect_ignore = sorted(p.name for p in _HERE.iterdir() if p.name not in _OWN) if MACHINA_RUN else ["machina"]


def _inside(arg, folder) -> bool:
    path = Path(arg.split("::")[0]).resolve()
    return path == folder or folder in path.parents


def pytest_configure(config):
    """The machina run takes paths inside tests/machina only (its conftest refuses the
    bundled run's way in): a module of the bundled suite would load the bundled forum."""
    if MACHINA_RUN and config.args_source == pytest.Config.ArgsSource.ARGS:
        outside = [arg for arg in config.args if not _inside(arg, _HERE / "machina")]
        if outside:
            raise pytest.UsageError(
                f"the machina suite runs alone: pytest --ds=tests.machina.settings tests/machina (not {' '.join(outside)})"
            )


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
