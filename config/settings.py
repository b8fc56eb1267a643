"""The one settings module: everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHEQUN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY when set; otherwise generate one once and keep it under var/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
TESTING = _env_bool("SHEQUN_TESTING") or "pytest" in sys.modules
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "shequn.core",
    "shequn.organizations",
    "shequn.accounts",
    "shequn.members",
    "shequn.audit",
    "shequn.portal",
    "shequn.activity",
    "shequn.imports",
    "shequn.invitations",
    "shequn.applications",
    "shequn.payments",
    "shequn.joining",
    "shequn.ladder",
    "shequn.layers",
    "shequn.tags",
    "shequn.segments",
    "shequn.profiles",
    "shequn.points",
    "shequn.rewards",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Member pages of a moved community redirect; of a closed one show it closed (410).
    "shequn.portal.middleware.MovedOrClosedCommunityMiddleware",
    # Last: turns a locked-out sign-in into our 429 page (shequn.core.ratelimit).
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "shequn.accounts.context_processors.operator_scope",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'shequn.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file of its own (per process), not Django's shared-cache in-memory
    # one, so that threads with their own connections (tests of concurrent requests) lock and
    # wait as separate processes do.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"shequn-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's, with a message its zh-hans catalogue translates (shequn/core/passwords.py)
    {"NAME": "shequn.core.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# django-axes first: it refuses sign-ins of a locked-out username + address before the
# password is checked (console, member pages and /admin/ alike).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "organizations:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Files that must never be public (import uploads and their rejects): served only by
# permission-checked views (shequn/imports/storage.py).
SHEQUN_PRIVATE_ROOT = Path(os.environ.get("SHEQUN_PRIVATE_ROOT", VAR_DIR / "private"))
# Imports (docs/imports.md): the largest file the command reads / the console and API accept,
# and how long a running import may go without progress before the sweeper queues it again.
SHEQUN_IMPORT_MAX_BYTES = int(os.environ.get("SHEQUN_IMPORT_MAX_BYTES", 1024**3))
SHEQUN_IMPORT_UPLOAD_MAX_BYTES = int(
    os.environ.get("SHEQUN_IMPORT_UPLOAD_MAX_BYTES", 200 * 1024**2)
)
SHEQUN_IMPORT_STALL_SECONDS = int(os.environ.get("SHEQUN_IMPORT_STALL_SECONDS", 180))
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# The app serves uploaded images itself under MEDIA_URL (shequn/core/media.py): right for the
# embedded `serve`/`make run`. Turn off when the reverse proxy serves MEDIA_ROOT
# (docs/deployment.md).
SHEQUN_SERVE_MEDIA = _env_bool("SHEQUN_SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded images (avatars, covers): accepted types and the largest size in bytes.
SHEQUN_IMAGE_MAX_BYTES = int(os.environ.get("SHEQUN_IMAGE_MAX_BYTES", 2 * 1024 * 1024))
# Largest width or height, and largest number of pixels, of an uploaded image (checked from the
# header before the picture is decoded; see shequn/core/images.py).
SHEQUN_IMAGE_MAX_SIDE = int(os.environ.get("SHEQUN_IMAGE_MAX_SIDE", 4096))
SHEQUN_IMAGE_MAX_PIXELS = int(os.environ.get("SHEQUN_IMAGE_MAX_PIXELS", 4096 * 4096))
SHEQUN_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "shequn.core.errors.csrf_failure"  # a styled page in the user's language
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp 4): scripts, styles and images from this server only; no
# inline script, inline style or eval (templates use static/js/shequn.js with data attributes;
# htmx runs with allowEval and its inline indicator styles off). The API docs page relaxes it for
# Swagger UI (config/api.py). Uploaded media has its own stricter policy (shequn/core/media.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# HTTPS and reverse proxies (docs/deployment.md). SHEQUN_HTTPS=1 when the site is reached over
# HTTPS: redirect plain HTTP, secure cookies, HSTS. SHEQUN_BEHIND_PROXY=1 when a reverse proxy
# terminates TLS and sends X-Forwarded-Proto (only then is that header trusted).
SHEQUN_HTTPS = _env_bool("SHEQUN_HTTPS")
SHEQUN_BEHIND_PROXY = _env_bool("SHEQUN_BEHIND_PROXY")
# The proxy's address, whose X-Forwarded-* headers `serve` (waitress) passes on.
SHEQUN_TRUSTED_PROXY = os.environ.get("SHEQUN_TRUSTED_PROXY", "127.0.0.1")
if SHEQUN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SHEQUN_HTTPS:
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD")

# Jobs (docs/jobs.md). `immediate` False explicitly: djhuey would default it to DEBUG and run
# every task inside the request. `utc` False: Huey keeps times, crontabs and its log in the
# process's zone, which Django sets to TIME_ZONE (Asia/Shanghai), so `serve` prints one zone.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "shequn",
        "url": REDIS_URL,
        "immediate": False,
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "shequn",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "utc": False,
        "consumer": {
            "workers": 2,
            "worker_type": "thread",
            "periodic": True,  # the once-a-minute sweepers; `run_huey --no-periodic` to turn off
            # SQLite is polled: look again after 0.25 s when idle, at most every second.
            "initial_delay": 0.25,
            "max_delay": 1.0,
        },
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Local time (TIME_ZONE) with its offset, e.g. [2026-12-02 08:34:28 +0800].
        "timestamped": {
            "class": "shequn.core.log_format.ZonedFormatter",  # TIME_ZONE, whatever the process has
            "format": "[{asctime}] {levelname} {name}: {message}",
            "style": "{",
            "datefmt": "%Y-%m-%d %H:%M:%S %z",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "timestamped"},
        "jobs": {"class": "logging.StreamHandler", "formatter": "timestamped"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # With a handler configured here, run_huey does not add its own. The consumer's start-up
        # lines (its tasks, the periodic schedule) show; each task run only with
        # HUEY_LOG_LEVEL=INFO (the sweepers run every minute); errors always.
        "huey": {
            "handlers": ["jobs"],
            "level": os.environ.get("HUEY_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
        "huey.consumer": {"level": "INFO"},
        "huey.consumer.Scheduler": {"level": os.environ.get("HUEY_LOG_LEVEL", "WARNING")},
        "shequn.organizations.tasks": {"handlers": ["jobs"], "level": "INFO", "propagate": False},
        "shequn.imports.tasks": {"handlers": ["jobs"], "level": "INFO", "propagate": False},
        "shequn.members.tasks": {"handlers": ["jobs"], "level": "INFO", "propagate": False},
        "shequn.profiles.tasks": {"handlers": ["jobs"], "level": "INFO", "propagate": False},
        "shequn.profiles.recompute": {"handlers": ["jobs"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}

# Demo operator accounts share this password unless DEMO_PASSWORD says otherwise.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "shequn-demo-2026")

# Sign-in lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused (429 page) for AXES_COOLOFF_MINUTES; a right password resets
# the count. Attempts are kept in the database (axes' tables, visible in /admin/).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shequn.core.ratelimit.lockout_response"
AXES_CLIENT_IP_CALLABLE = "shequn.core.ratelimit.axes_client_ip"
AXES_VERBOSE = False
# Behind a reverse proxy, the request header with the client's address (e.g. X-Real-IP as
# HTTP_X_REAL_IP; of a list such as HTTP_X_FORWARDED_FOR the last entry, the proxy's, counts);
# empty: the connection's address (REMOTE_ADDR), and no request header is trusted.
SHEQUN_CLIENT_IP_HEADER = os.environ.get("SHEQUN_CLIENT_IP_HEADER", "")
# Phone numbers written without a country code belong to this region (shequn.members.phones).
SHEQUN_PHONE_REGION = os.environ.get("SHEQUN_PHONE_REGION", "CN")

# Rate limits of public forms and API token failures per client address: "count/seconds".
SHEQUN_RATE_LIMITS = {
    "signup": os.environ.get("SHEQUN_RATE_SIGNUP", "10/3600"),
    "password_reset": os.environ.get("SHEQUN_RATE_PASSWORD_RESET", "5/900"),
    "verification": os.environ.get("SHEQUN_RATE_VERIFICATION", "5/900"),
    "api_token_failure": os.environ.get("SHEQUN_RATE_API_TOKEN_FAILURES", "20/60"),
    "apply": os.environ.get("SHEQUN_RATE_APPLY", "10/3600"),
    "join": os.environ.get("SHEQUN_RATE_JOIN", "20/3600"),  # portal: join POST (address, account)
    "pay": os.environ.get("SHEQUN_RATE_PAY", "10/3600"),  # PAY: checkout POST (address, account)
    # JOINCORE: leave and withdraw POSTs, member page and API (address, account)
    "leave": os.environ.get("SHEQUN_RATE_LEAVE", "10/3600"),
}

# Email (verification links, password reset): Django's email framework. The console backend
# prints messages to the log until EMAIL_BACKEND (e.g. smtp) and EMAIL_HOST are set.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shequn <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# How long a sign-up verification link works (seconds; default 3 days), and a password reset link.
SHEQUN_EMAIL_VERIFICATION_MAX_AGE = int(
    os.environ.get("SHEQUN_EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
)
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600))

# Applications (APP stream): the start of links in applicants' emails, e.g. https://shequn.example
# (empty: the emails name the community without a link).
SHEQUN_SITE_URL = os.environ.get("SHEQUN_SITE_URL", "")

# Payments (PAY stream, docs/payments.md): which providers the checkout offers and their keys.
# SHEQUN_PAYMENT_PROVIDERS: comma-separated of manual, wechatpay, webhook (enabled ones only).
SHEQUN_PAYMENT_PROVIDERS = [
    p.strip() for p in os.environ.get("SHEQUN_PAYMENT_PROVIDERS", "manual").split(",") if p.strip()
]
SHEQUN_ORDER_PAY_MINUTES = int(os.environ.get("SHEQUN_ORDER_PAY_MINUTES", 30))
# Manual (bank transfer): the instructions shown at checkout (the order number is added).
SHEQUN_PAY_MANUAL_INSTRUCTIONS = os.environ.get("SHEQUN_PAY_MANUAL_INSTRUCTIONS", "")
# Generic signed webhook: the HMAC-SHA256 secret and the timestamp tolerance (seconds).
SHEQUN_PAY_WEBHOOK_SECRET = os.environ.get("SHEQUN_PAY_WEBHOOK_SECRET", "")
SHEQUN_PAY_NOTIFY_TOLERANCE = int(os.environ.get("SHEQUN_PAY_NOTIFY_TOLERANCE", 300))
# WeChat Pay API v3 (wechatpayv3): merchant id, APIv3 key, merchant key (PEM file path) and its
# certificate serial number, app id; the platform public key (public-key mode: its PEM path and
# id) or, empty, platform certificates fetched into SHEQUN_WECHATPAY_CERT_DIR.
SHEQUN_WECHATPAY = {
    "MCHID": os.environ.get("SHEQUN_WECHATPAY_MCHID", ""),
    "APPID": os.environ.get("SHEQUN_WECHATPAY_APPID", ""),
    "APIV3_KEY": os.environ.get("SHEQUN_WECHATPAY_APIV3_KEY", ""),
    "PRIVATE_KEY_PATH": os.environ.get("SHEQUN_WECHATPAY_PRIVATE_KEY_PATH", ""),
    "CERT_SERIAL_NO": os.environ.get("SHEQUN_WECHATPAY_CERT_SERIAL_NO", ""),
    "PUBLIC_KEY_PATH": os.environ.get("SHEQUN_WECHATPAY_PUBLIC_KEY_PATH", ""),
    "PUBLIC_KEY_ID": os.environ.get("SHEQUN_WECHATPAY_PUBLIC_KEY_ID", ""),
    "CERT_DIR": os.environ.get("SHEQUN_WECHATPAY_CERT_DIR", ""),
    "NOTIFY_URL": os.environ.get("SHEQUN_WECHATPAY_NOTIFY_URL", ""),
    # The API's base URL (a local fake server in tests).
    "GATEWAY": os.environ.get("SHEQUN_WECHATPAY_GATEWAY", "https://api.mch.weixin.qq.com"),
}
