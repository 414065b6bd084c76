"""Settings of the benchmark processes (the orchestrator, gunicorn, the Celery
worker and beat): the production settings (DEBUG off) on the benchmark's own
database, with its own cache key prefix and task queue, so a run never meets
a developer's site or a test run on the same Redis."""

import os

BENCH_RUN_ID = os.environ.setdefault("BENCH_RUN_ID", str(os.getpid()))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", f"bench-only-{BENCH_RUN_ID}-not-a-secret-0123456789abcdefghijklmnop")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings import *  # noqa: E402, F403
from config.settings import CACHES, STORAGES  # noqa: E402

CACHES["default"]["KEY_PREFIX"] = f"cc-bench-{BENCH_RUN_ID}"
CELERY_TASK_DEFAULT_QUEUE = f"bench-{BENCH_RUN_ID}"
# Pages render without a collectstatic manifest; mail goes nowhere.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
