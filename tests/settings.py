"""Test settings: the real settings, with the test run's own Redis databases.

DATABASE_URL and REDIS_URL still choose SQLite/embedded Redis or PostgreSQL/Redis.
The cache and broker use databases 1 and 2 of that Redis, so flushing the cache
between tests never touches a developer's running site (database 0).
"""

import os

os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL, VAR_DIR, _celery_url, _redis_db, env_bool

# One id per test run, inherited by the worker and beat it starts, so two runs
# on one machine never share a test database file, cache keys or a task queue.
TEST_RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))

CACHES["default"]["LOCATION"] = _redis_db(REDIS_URL, 1)  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"cc-test-{TEST_RUN_ID}"  # noqa: F405
CELERY_BROKER_URL = os.environ.get("TEST_BROKER_URL") or _celery_url(_redis_db(REDIS_URL, 2))
CELERY_TASK_DEFAULT_QUEUE = f"test-{TEST_RUN_ID}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; tests/integration start a real worker and beat,
# which read this from their environment (eager off).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory, so a worker process can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_db_{TEST_RUN_ID}.sqlite3")}  # noqa: F405
SITE_URL = "http://testserver"
