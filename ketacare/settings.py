"""KetaCare settings, read from the environment (see docs/configuration.md).

SQLite under var/ is the zero-setup default; a postgresql:// URL in
KETACARE_DATABASE_URL selects PostgreSQL for production and scale.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KETACARE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Use KETACARE_SECRET_KEY; outside production, generate one into var/ once."""
    key = os.environ.get("KETACARE_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("KETACARE_SECRET_KEY is required when KETACARE_ENV=production")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


PRODUCTION = os.environ.get("KETACARE_ENV", "development") == "production"
DEBUG = env_bool("KETACARE_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("KETACARE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("KETACARE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "ketacare.common",
    "ketacare.accounts",
    "ketacare.audit",
    "ketacare.patients",
    "ketacare.treatment",
    "ketacare.messaging",
    "ketacare.measures",
    "ketacare.outcomes",
    "ketacare.eligibility",
    "ketacare.dosing",
    "ketacare.web",
]

MIDDLEWARE = [
    "ketacare.common.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Input limits (413, NUL) and no-store; after WhiteNoise, so static files pass by.
    "ketacare.common.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ketacare.accounts.middleware.ClinicTimezoneMiddleware",
]

ROOT_URLCONF = "ketacare.urls"
WSGI_APPLICATION = "ketacare.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ketacare" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # Words for people (labels for codes, plain citations) on every page.
            "builtins": ["ketacare.web.templatetags.ketacare_tags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketacare.accounts.context_processors.clinic_context",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'ketacare.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KETACARE_DATABASE_URL", DEFAULT_DATABASE_URL), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so the audit hash chain
    # never sees two writers racing for the same head; WAL lets readers continue.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Timestamps are stored in UTC; pages show them in the clinic's own zone.
USE_TZ = True
TIME_ZONE = os.environ.get("KETACARE_TIME_ZONE", "UTC")
USE_I18N = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "ketacare" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Plotly's JavaScript, as vendor/plotly.min.js, from the installed plotly package.
    "ketacare.web.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("KETACARE_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Headers, caching and input limits (issue 13) are set in the block at the end of this file.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Exception messages can carry patient data (e.g. an IntegrityError's
        # key values), so logs show the exception type and stack only.
        "redacted": {
            "()": "ketacare.common.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "filters": {"request_id": {"()": "ketacare.common.logging.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "redacted",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KETACARE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
    },
}

# --- Clinical settings (clinical choices; each default is documented in docs/) ---
# Plausibility limits for body measurements. They catch typing slips (700 kg,
# 0 kg); they are not dosing limits, which later protocols define.
KETACARE_WEIGHT_MIN_KG = float(os.environ.get("KETACARE_WEIGHT_MIN_KG", "20"))
KETACARE_WEIGHT_MAX_KG = float(os.environ.get("KETACARE_WEIGHT_MAX_KG", "350"))
KETACARE_HEIGHT_MIN_CM = float(os.environ.get("KETACARE_HEIGHT_MIN_CM", "100"))
KETACARE_HEIGHT_MAX_CM = float(os.environ.get("KETACARE_HEIGHT_MAX_CM", "250"))
# A weight older than this is flagged on the chart, since dosing is weight-based.
KETACARE_WEIGHT_STALE_DAYS = env_int("KETACARE_WEIGHT_STALE_DAYS", 30)
KETACARE_PAGE_SIZE = env_int("KETACARE_PAGE_SIZE", 25)
KETACARE_API_TOKEN_DAYS = env_int("KETACARE_API_TOKEN_DAYS", 90)

# --- Background work, email and SMS ---
# Scheduled work (measurement invitations, reminders, alert escalation) and message
# delivery run as tasks in a database-backed queue, worked by `ketacare worker`.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KETACARE_TASK_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}
EMAIL_BACKEND = os.environ.get(
    "KETACARE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "outbox" / "email")
DEFAULT_FROM_EMAIL = os.environ.get("KETACARE_FROM_EMAIL", "KetaCare <no-reply@localhost>")
EMAIL_HOST = os.environ.get("KETACARE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("KETACARE_EMAIL_PORT", 25)
# SMS goes through a provider backend; KetaCare ships console and file backends only.
KETACARE_SMS_BACKEND = os.environ.get(
    "KETACARE_SMS_BACKEND", "ketacare.messaging.sms.ConsoleSmsBackend"
)
KETACARE_SMS_FILE_PATH = os.environ.get(
    "KETACARE_SMS_FILE_PATH", str(VAR_DIR / "outbox" / "sms.jsonl")
)
# Absolute base URL for links sent to patients (their phones cannot use 127.0.0.1).
KETACARE_PUBLIC_URL = os.environ.get("KETACARE_PUBLIC_URL", "http://127.0.0.1:8000")

# --- Measurement-based care: defaults for each clinic (docs/measures.md) ---
# Self-report link lifetime: 72 hours (issue #3 default).
KETACARE_LINK_EXPIRY_HOURS = env_int("KETACARE_LINK_EXPIRY_HOURS", 72)
# Reminders for unanswered links: daily for the link's 3-day life, as Osmind describes
# ("daily reminders for up to 3 days", instruments.md 4.2): two reminders, 24 h apart.
KETACARE_REMINDER_COUNT = env_int("KETACARE_REMINDER_COUNT", 2)
KETACARE_REMINDER_INTERVAL_HOURS = env_int("KETACARE_REMINDER_INTERVAL_HOURS", 24)
# Unacknowledged safety alerts escalate after 15 minutes (issue #3 default).
KETACARE_ALERT_ESCALATION_MINUTES = env_int("KETACARE_ALERT_ESCALATION_MINUTES", 15)
# Operational choices: a pre-session link goes out this long before the session, and
# scheduled links go out at this hour of the clinic's day.
KETACARE_PRE_SESSION_LEAD_HOURS = env_int("KETACARE_PRE_SESSION_LEAD_HOURS", 24)
KETACARE_SEND_HOUR_LOCAL = env_int("KETACARE_SEND_HOUR_LOCAL", 9)
KETACARE_CRISIS_RESOURCES = os.environ.get(
    "KETACARE_CRISIS_RESOURCES",
    "If you are thinking about suicide or might harm yourself, get help now: call your local "
    "emergency number. In the US, call or text 988 (988 Suicide & Crisis Lifeline). "
    "In the UK and Ireland, call Samaritans on 116 123. You can also call the clinic.",
)
KETACARE_TICK_SECONDS = float(os.environ.get("KETACARE_TICK_SECONDS", "60"))

# --- HTTP security: headers, caching and input limits (docs/security.md) ---
# Content-Security-Policy (django-csp): only this server's scripts, styles, images and
# fonts; no inline script or event handler anywhere, no eval, no plugins, no framing.
# img-src allows data: because Plotly's and Swagger UI's icons are data: URIs.
# Plotly adds two <style> elements: an empty one it fills through the CSSOM (which CSP
# does not govern), and its map library's fixed stylesheet. Each is allowed by the hash of
# its exact text, so no other inline style element is (tests/web/test_security_headers.py
# recomputes the second from the installed plotly).
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (the empty string)
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # plotly.js 4.1.1 maplibre CSS
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'", *PLOTLY_STYLE_HASHES],
        # Plotly sizes and places the parts of a chart with style attributes. Allowing
        # style *attributes* (not <style> elements, not script) keeps charts working; an
        # injected attribute cannot run code, and what CSS could load is held to this
        # server by img-src and font-src.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page uses are switched off for every page (Permissions-Policy).
KETACARE_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
# HTTPS only in production: redirect plain HTTP, and tell browsers to use HTTPS for a year
# (HSTS). Behind a proxy that ends TLS, gunicorn trusts its X-Forwarded-Proto from
# KETACARE_FORWARDED_ALLOW_IPS, so the redirect does not loop.
SECURE_SSL_REDIRECT = env_bool("KETACARE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("KETACARE_HSTS_SECONDS", 365 * 24 * 3600) if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KETACARE_HSTS_INCLUDE_SUBDOMAINS", True)
# Joining the browsers' preload list is the deployment owner's decision for the whole
# domain and hard to undo, so it is off unless they set it; check --deploy's reminder
# about it (W021) is silenced only while it is off.
SECURE_HSTS_PRELOAD = env_bool("KETACARE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
# A request body over this size is refused with 413 (a form or JSON body; KetaCare takes
# no file uploads). 1 MiB is far above the largest real request, a vitals batch.
KETACARE_MAX_BODY_BYTES = env_int("KETACARE_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = KETACARE_MAX_BODY_BYTES
# Researchers' (de-identified) outcome figures hide every count under 11 and every figure
# worked out from fewer than 11 courses: the cell-size suppression threshold of the CMS
# Cell Size Suppression Policy (counts 1 to 10 are not shown), widely used for health data.
KETACARE_SMALL_CELL_MIN = env_int("KETACARE_SMALL_CELL_MIN", 11)
