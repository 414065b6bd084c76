"""Settings, read from the environment.

Defaults give a working demo on a fresh machine (SQLite under var/, an embedded
Redis). Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL,
REDIS_URL (and optionally BROKER_URL for RabbitMQ) and the EMAIL_* variables;
README.md lists them all.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "django_htmx",
    "ninja",
    "forum",
    "community_commerce",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.SessionTokenUserMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forum.context_processors.forum",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and statements a connection runs again prepared once:
    # less CPU in the app (no quoting in Python) and in PostgreSQL (no re-planning) on every
    # query. Behind PgBouncer in transaction mode set DB_PREPARED_STATEMENTS=0.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": 2 if env_bool("DB_PREPARED_STATEMENTS", True) else None,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of deadlocking.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------


def _redis_db(url: str, db: int) -> str:
    """The same Redis server, another logical database."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # urlunsplit would drop the empty host and its "//"
        return f"unix://{parts.path}?db={db}"
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = env("REDIS_URL")
if not REDIS_URL:
    # No Redis given (the demo): this process uses VAR_DIR's embedded server while it
    # lives, and the server stops once its last user has gone. `make run` joins once
    # and hands REDIS_URL to web, worker and beat (config/embedded_redis.py).
    from config import embedded_redis

    REDIS_URL = f"{embedded_redis.join(VAR_DIR).url}?db=0"

CACHE_URL = env("CACHE_REDIS_URL", REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "config.cache.ReusedClientRedisCache",  # Django's, minus a client object per call
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "cc"),
    }
}


def _celery_url(url: str) -> str:
    """kombu names a unix-socket Redis ``redis+socket://`` and picks the db by virtual_host."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    db = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("db", "0")
    return f"redis+socket://{parts.path}?virtual_host={db}"


CELERY_BROKER_URL = env("BROKER_URL") or _celery_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent; a dead worker's task is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacked task after this long; ETA tasks are only ever
# scheduled a few seconds ahead, so an hour is safe for every task we queue.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
COMMUNITY_COMMERCE_SWEEP_SECONDS = env_int("COMMUNITY_COMMERCE_SWEEP_SECONDS", 5)
COMMUNITY_COMMERCE_ATTRIBUTION_DAYS = env_int("COMMUNITY_COMMERCE_ATTRIBUTION_DAYS", 30)
CELERY_BEAT_SCHEDULE = {
    "commerce-sweep": {
        "task": "community_commerce.tasks.sweep",
        "schedule": float(COMMUNITY_COMMERCE_SWEEP_SECONDS),
        "options": {"expires": float(COMMUNITY_COMMERCE_SWEEP_SECONDS)},  # a stale sweep is skipped, not piled up
    }
}

# --- Auth and accounts (django-allauth) ------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # sessions and app tokens read from Redis first
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional" if DEBUG else "mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {}  # {} keeps allauth's defaults (login, signup, reset... all limited)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
HEADLESS_CLIENTS = ("app",)
HEADLESS_TOKEN_STRATEGY = "config.session_tokens.OneReadSessionTokenStrategy"  # one Redis read per call, not two
HEADLESS_ONLY = False

# --- Email ----------------------------------------------------------------

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "forum@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The demo's own address by default: `make run` serves on 127.0.0.1:$PORT.
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT') or 8000}").rstrip("/")

# --- i18n, static ---------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing folder
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files in both modes. In the demo (DEBUG) it finds them in
# the source folders through the staticfiles finders and sees edits at once, so
# `make run` has nothing to collect; with DEBUG off it serves what collectstatic
# gathered (hashed, compressed): Procfile's release step, or `make run` itself.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) -------------------------------------------------

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# --- The forum --------------------------------------------------------------

FORUM_THREADS_PER_PAGE = env_int("FORUM_THREADS_PER_PAGE", 25)
FORUM_POSTS_PER_PAGE = env_int("FORUM_POSTS_PER_PAGE", 20)
FORUM_FLOOD_SECONDS = env_int("FORUM_FLOOD_SECONDS", 10)
FORUM_NEW_MEMBER_FLOOD_SECONDS = env_int("FORUM_NEW_MEMBER_FLOOD_SECONDS", 60)
FORUM_NEW_MEMBER_DAYS = env_int("FORUM_NEW_MEMBER_DAYS", 2)

# --- The commerce plugin (every setting: community_commerce/conf.py) -------

COMMUNITY_COMMERCE_DEFAULT_CURRENCY = env("COMMUNITY_COMMERCE_DEFAULT_CURRENCY", "EUR")
COMMUNITY_COMMERCE_FORUM_ADAPTER = env(
    "COMMUNITY_COMMERCE_FORUM_ADAPTER", "community_commerce.adapters.bundled.BundledForumAdapter"
)
# The commission programme, when the environment names it (defaults: community_commerce/conf.py;
# the admin's programme overrides the rates and the CPA amount).
for _name in (
    "FORUM_CPS_PERCENT", "REFERRAL_CPS_PERCENT", "CPA_AMOUNT", "REFUND_DAYS", "CPA_MAX_PER_LINK_HOUR", "SETTLE_BATCH",
):  # fmt: skip
    if env(f"COMMUNITY_COMMERCE_{_name}"):
        globals()[f"COMMUNITY_COMMERCE_{_name}"] = env(f"COMMUNITY_COMMERCE_{_name}")
if env("COMMUNITY_COMMERCE_FORUM_CPS_PERCENT_BY_CATEGORY"):  # "12:4,15:6.5": category id, percent
    COMMUNITY_COMMERCE_FORUM_CPS_PERCENT_BY_CATEGORY = dict(
        item.split(":", 1) for item in env_list("COMMUNITY_COMMERCE_FORUM_CPS_PERCENT_BY_CATEGORY")
    )
# Buyer protection, reputation and new-shop limits: set here only when the environment has
# them, so community_commerce/conf.py keeps the one list of defaults (and what each means).
for _name in (
    "AUTO_RECEIVE_DAYS", "AUTO_RECEIVE_REMIND_DAYS", "RATING_BLIND_DAYS", "NEW_MERCHANT_ORDERS",
    "NEW_MERCHANT_MAX_VALUE", "DISPUTE_FLAG_RATE", "DISPUTE_FLAG_MIN_ORDERS", "REPUTATION_MAX_AGE", "DEFAULT_SHIP_DAYS",
):  # fmt: skip
    if env(f"COMMUNITY_COMMERCE_{_name}", "").strip():
        globals()[f"COMMUNITY_COMMERCE_{_name}"] = env(f"COMMUNITY_COMMERCE_{_name}").strip()
