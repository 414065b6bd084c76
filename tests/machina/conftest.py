"""Fixtures of the machina suite: its forum, members and deals, and the real Celery worker
and Chromium of the bundled suite's conftests (tests/integration, tests/e2e)."""

import os

import pytest

# Importing a machina model under the bundled forum's settings registers it into the bundled
# app labelled "forum" too, and then the test database cannot be built for any test of the
# session. Refuse at once (collect_ignore does not cover a path given on the command line).
if not os.environ.get("DJANGO_SETTINGS_MODULE", "").startswith("tests.machina"):
    raise pytest.UsageError("tests/machina runs on its own: pytest --ds=tests.machina.settings tests/machina")

from tests.adapters.drivers import MachinaDriver
from tests.e2e.conftest import browser, new_page, pytest_collection_modifyitems  # noqa: F401
from tests.integration.conftest import beat, celery_env, start_worker  # noqa: F401


@pytest.fixture
def machina():
    return MachinaDriver()


@pytest.fixture
def deals(db, machina):
    """A forum that takes offers (under the category the test settings name)."""
    return machina.category(slug="deals", commerce=True)


@pytest.fixture
def grocer(db, machina):
    """A verified merchant."""
    from community_commerce.services.merchants import apply, verify

    member = machina.member("grocer", email="grocer@example.org")
    verify(merchant=apply(user=member, display_name="Corner Grocer", contact="1 Market St",
                          payment_instructions="Cash at the shop"), reason="known")  # fmt: skip
    return member
