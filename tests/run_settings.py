"""What a test run changes in its site's settings, for both sites: tests/settings.py (the
bundled forum) and tests/machina/settings.py (django-machina, examples/machina_site).

DATABASE_URL and REDIS_URL still choose SQLite/embedded Redis or PostgreSQL/Redis.
The cache and broker use databases 1 and 2 of that Redis, so flushing the cache
between tests never touches a developer's running site (database 0).
"""

import os


def for_the_test_run(s: dict) -> None:
    """Change the settings module whose globals are ``s``."""
    from config.settings import _celery_url, _redis_db, env_bool

    # One id per test run, inherited by the worker and beat it starts, so two runs
    # on one machine never share a test database file, cache keys or a task queue.
    run_id = s["TEST_RUN_ID"] = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))
    s["CACHES"]["default"]["LOCATION"] = _redis_db(s["REDIS_URL"], 1)
    s["CACHES"]["default"]["KEY_PREFIX"] = f"cc-test-{run_id}"
    s["CELERY_BROKER_URL"] = os.environ.get("TEST_BROKER_URL") or _celery_url(_redis_db(s["REDIS_URL"], 2))
    s["CELERY_TASK_DEFAULT_QUEUE"] = f"test-{run_id}"
    s["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    s["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    # Unit tests run tasks in-process; tests/integration start a real worker and beat,
    # which read this from their environment (eager off).
    s["CELERY_TASK_ALWAYS_EAGER"] = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
    if s["DATABASES"]["default"]["ENGINE"].endswith("sqlite3"):
        # A file, not memory, so a worker process can open the same test database.
        s["DATABASES"]["default"]["TEST"] = {"NAME": str(s["VAR_DIR"] / f"test_db_{run_id}.sqlite3")}
    s["SITE_URL"] = "http://testserver"


def use_test_var_dir() -> None:
    """The test runs' own VAR_DIR (var/test): its SQLite files and embedded Redis."""
    os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))
