"""KetaCare settings, read from the environment (see docs/configuration.md).

SQLite under var/ is the zero-setup default; a postgresql:// URL in
KETACARE_DATABASE_URL selects PostgreSQL for production and scale.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ketacare.common.startup import production_problems

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KETACARE_VAR_DIR", BASE_DIR / "var"))
# Everything KetaCare creates (the SQLite file, keys, audit anchors, backups, logs) is
# readable by its own user only: files 0600, directories 0700 (issue 13, docs/security.md).
os.umask(0o077)


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


def _secret_setting(name: str, default: str | None) -> str | None:
    """NAME from the environment, or the contents of the file named by NAME_FILE."""
    if value := os.environ.get(name):
        return value
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return default


def _secret_key() -> str:
    """Use KETACARE_SECRET_KEY (or _FILE); outside production, generate one into var/ once."""
    if key := _secret_setting("KETACARE_SECRET_KEY", None):
        return key
    if PRODUCTION:
        return ""  # refused with the other missing variables at the end of this file
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
    "ketacare.operations",
    "ketacare.measures",
    "ketacare.outcomes",
    "ketacare.eligibility",
    "ketacare.dosing",
    "ketacare.exchange",
    "ketacare.ledger",
    "ketacare.schedule",
    "ketacare.consent",
    "ketacare.notes",
    "ketacare.guides",
    "ketacare.education",
    "ketacare.referrals",
    "ketacare.portal",
    "ketacare.web",
]

MIDDLEWARE = [
    # Outermost: times every request for /metrics (by route pattern, never the path).
    "ketacare.operations.metrics.RequestLatencyMiddleware",
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
    # Inside the request context (request id, IP) and after authentication.
    "ketacare.audit.middleware.DenialAuditMiddleware",
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
                "ketacare.messaging.context_processors.delivery_banner",
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
# The database password may come from a file (a container secret) instead of the URL.
if db_password := _secret_setting("KETACARE_DATABASE_PASSWORD", None):
    DATABASES["default"]["PASSWORD"] = db_password
# A read replica for reports and research exports (ketacare/operations/routers.py).
if replica_url := os.environ.get("KETACARE_REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(replica_url, conn_max_age=60)
DATABASE_ROUTERS = ["ketacare.operations.routers.ReplicaRouter"]
# PostgreSQL's JIT compiles any plan whose estimated cost passes jit_above_cost. The
# worklist's and the dashboard's reads at 50,000 patients are estimated high but run in
# tens of milliseconds, and compiling them took longer than running them (34 ms of 94 for
# the worklist's courses; docs/benchmarks.md). Off unless KETACARE_POSTGRES_JIT is set.
KETACARE_POSTGRES_JIT = env_bool("KETACARE_POSTGRES_JIT", False)


def with_connection_options(database: dj_database_url.DBConfig) -> dj_database_url.DBConfig:
    """The database's settings with KetaCare's connection options: JIT off on PostgreSQL
    unless KETACARE_POSTGRES_JIT (tests/settings.py applies it to the test database)."""
    if database["ENGINE"] == "django.db.backends.postgresql" and not KETACARE_POSTGRES_JIT:
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return database


for _alias in DATABASES:
    DATABASES[_alias] = with_connection_options(DATABASES[_alias])
KETACARE_REPLICA_READS = env_bool("KETACARE_REPLICA_READS", True)
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
    # A database file created before the umask above stays private too.
    for suffix in ("", "-wal", "-shm"):
        db_file = Path(f"{DATABASES['default']['NAME']}{suffix}")
        if db_file.exists() and db_file.stat().st_mode & 0o077:
            db_file.chmod(0o600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# --- Staff accounts and sign-in (issue 13; docs/security.md, "Staff accounts and sign-in") ---
# Kept in one block: password rules, lockout (django-axes), two-factor sign-in (django-otp),
# the idle timeout and API token lifetimes.
KETACARE_PASSWORD_MIN_LENGTH = env_int("KETACARE_PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": KETACARE_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "ketacare.accounts.middleware.IdleTimeoutMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # turns a lockout into its 429 page
# Axes first: it refuses a locked-out account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins are counted in the database (shared by every worker), per account and per
# address. 50 failures lock both for the cool-off; attempts while locked restart it. NIST
# SP 800-63B 5.2.2 asks for at most 100 consecutive failures.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("KETACARE_LOGIN_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("KETACARE_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
# The client address is REMOTE_ADDR, as for audit rows; X-Forwarded-For can be forged.
AXES_CLIENT_IP_CALLABLE = "ketacare.accounts.signin.client_ip"
AXES_VERBOSE = False
# Two-factor sign-in: TOTP codes from an authenticator app, named KetaCare there.
OTP_TOTP_ISSUER = "KetaCare"
# A signed-in session ends after this many minutes without a request; the session's
# absolute lifetime (KETACARE_SESSION_SECONDS) still applies.
KETACARE_IDLE_MINUTES = env_int("KETACARE_IDLE_MINUTES", 30)
# A password-reset link works for an hour (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("KETACARE_PASSWORD_RESET_SECONDS", 3600)
# Every API token expires: at most this many days after it is made.
KETACARE_API_TOKEN_MAX_DAYS = env_int("KETACARE_API_TOKEN_MAX_DAYS", 366)
# --- end of staff accounts and sign-in ---

LANGUAGE_CODE = "en-gb"
# Staff pages are in English; a patient's links, pages and messages are in the patient's
# preferred language (Patient.Language), from the catalogues in ketacare/locale.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "ketacare" / "locale"]
# Timestamps are stored in UTC; pages show them in the clinic's own zone.
USE_TZ = True
TIME_ZONE = os.environ.get("KETACARE_TIME_ZONE", "UTC")
USE_I18N = True

STATIC_URL = "static/"
# Where `collectstatic` puts the static files (the container image collects them at build).
STATIC_ROOT = Path(os.environ.get("KETACARE_STATIC_ROOT", VAR_DIR / "static"))
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
# Uploaded and generated files (referral letters, export files) for the default storage:
# on disk here; docs/interoperability.md shows how to point it at object storage.
MEDIA_ROOT = Path(os.environ.get("KETACARE_MEDIA_ROOT", str(VAR_DIR / "media")))
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
        # KETACARE_LOG_FORMAT=json: one JSON object a line, equally redacted.
        "json": {"()": "ketacare.common.logging.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "ketacare.common.logging.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("KETACARE_LOG_FORMAT") == "json" else "redacted",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KETACARE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": [], "level": "ERROR", "propagate": True},
        # django-axes: lockouts, not a line per sign-in (sign-ins are in the audit trail).
        "axes": {"level": "WARNING"},
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
# A session begun (checked in or further) and not discharged this many hours later is
# "left open" on the worklist: an operational choice, several times the longest session
# (docs/configuration.md; ketacare.treatment.left_open.LEFT_OPEN_SOURCE).
KETACARE_SESSION_LEFT_OPEN_HOURS = env_int("KETACARE_SESSION_LEFT_OPEN_HOURS", 12)
if KETACARE_SESSION_LEFT_OPEN_HOURS < 1:
    raise ImproperlyConfigured("KETACARE_SESSION_LEFT_OPEN_HOURS must be a whole number above 0")
KETACARE_PAGE_SIZE = env_int("KETACARE_PAGE_SIZE", 25)
KETACARE_API_TOKEN_DAYS = env_int("KETACARE_API_TOKEN_DAYS", 90)
# The simulator page's largest population: 10,000 subjects simulate in well under a
# second, and the page sends percentile bands, not one curve per subject (issue 14;
# docs/benchmarks.md).
KETACARE_SIMULATOR_MAX_SUBJECTS = env_int("KETACARE_SIMULATOR_MAX_SUBJECTS", 10_000)

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
# SMTP with credentials: KETACARE_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST_USER = os.environ.get("KETACARE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = _secret_setting("KETACARE_EMAIL_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("KETACARE_EMAIL_USE_TLS")  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("KETACARE_EMAIL_USE_SSL")  # implicit TLS, usually port 465
EMAIL_TIMEOUT = env_int("KETACARE_EMAIL_TIMEOUT_SECONDS", 20)
# SMS goes through a provider backend: console and file (no network), or
# ketacare.messaging.sms.TwilioSmsBackend for Twilio or a Twilio-compatible provider.
KETACARE_SMS_BACKEND = os.environ.get(
    "KETACARE_SMS_BACKEND", "ketacare.messaging.sms.ConsoleSmsBackend"
)
KETACARE_SMS_FILE_PATH = os.environ.get(
    "KETACARE_SMS_FILE_PATH", str(VAR_DIR / "outbox" / "sms.jsonl")
)
KETACARE_SMS_API_URL = os.environ.get("KETACARE_SMS_API_URL", "https://api.twilio.com")
KETACARE_SMS_ACCOUNT_ID = os.environ.get("KETACARE_SMS_ACCOUNT_ID", "")
KETACARE_SMS_AUTH_TOKEN = _secret_setting("KETACARE_SMS_AUTH_TOKEN", "") or ""
KETACARE_SMS_FROM = os.environ.get("KETACARE_SMS_FROM", "")
KETACARE_SMS_TIMEOUT_SECONDS = env_int("KETACARE_SMS_TIMEOUT_SECONDS", 10)
# Numbers stored without a country code are read as numbers of this region (ISO 3166-1
# alpha-2, as the phonenumbers library takes it). US by default: KetaCare's REMS forms
# follow the US FDA esketamine REMS, so a US clinic is the default deployment.
KETACARE_SMS_DEFAULT_REGION = os.environ.get("KETACARE_SMS_DEFAULT_REGION", "US")
# A failed delivery is retried with exponential backoff: 5 attempts, waiting 1, 2, 4 and
# 8 minutes between them (15 minutes in all, as long as an alert waits to escalate);
# then it is shown as failed, and a failed escalation raises the clinic-wide banner.
KETACARE_DELIVERY_ATTEMPTS = env_int("KETACARE_DELIVERY_ATTEMPTS", 5)
KETACARE_DELIVERY_RETRY_SECONDS = env_int("KETACARE_DELIVERY_RETRY_SECONDS", 60)
# Absolute base URL for links sent to patients (their phones cannot use 127.0.0.1).
# Required in production (checked at the end of this file); `ketacare demo` sets it from
# its port.
KETACARE_PUBLIC_URL = os.environ.get("KETACARE_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000"

# --- E-consent: defaults for each clinic (docs/consent.md) ---
# How long a signed e-consent counts: 12 months, the default issue 17 proposes. No
# regulation or label found in the reference notes sets a period (a clinic choice;
# 0 = never expires). A new document version needs a new signature, and a staff
# countersignature is needed before dosing, unless the clinic says otherwise.
KETACARE_CONSENT_VALID_MONTHS = env_int("KETACARE_CONSENT_VALID_MONTHS", 12)
# How long a link to the patient's own view stays open (a security choice, not a clinical
# one: long enough to follow a course between visits; the clinic can revoke it any time).
KETACARE_PORTAL_LINK_DAYS = env_int("KETACARE_PORTAL_LINK_DAYS", 30)
KETACARE_CONSENT_NEW_VERSION_SUPERSEDES = env_bool("KETACARE_CONSENT_NEW_VERSION_SUPERSEDES", True)
KETACARE_CONSENT_COUNTERSIGN_REQUIRED = env_bool("KETACARE_CONSENT_COUNTERSIGN_REQUIRED", True)

# --- Preparation and aftercare guides: defaults for each clinic (docs/guides.md) ---
# Clinical choices, not published rules. Preparation goes out 24 h before the session
# (the lead KetaCare uses for pre-session questionnaires, KETACARE_PRE_SESSION_LEAD_HOURS);
# aftercare at discharge (0 h), so the patient has it on the way home. No food for 2 h:
# the Spravato label's preparation (clinical.md 2.1); an IV clinic sets its own hours.
# Arrive 15 minutes early: a KetaCare default for check-in and vital signs.
KETACARE_GUIDE_PREPARATION_HOURS_BEFORE = env_int("KETACARE_GUIDE_PREPARATION_HOURS_BEFORE", 24)
KETACARE_GUIDE_AFTERCARE_HOURS_AFTER = env_int("KETACARE_GUIDE_AFTERCARE_HOURS_AFTER", 0)
KETACARE_GUIDE_FASTING_HOURS = env_int("KETACARE_GUIDE_FASTING_HOURS", 2)
KETACARE_GUIDE_ARRIVE_MINUTES_BEFORE = env_int("KETACARE_GUIDE_ARRIVE_MINUTES_BEFORE", 15)
# --- Patient education: defaults for each clinic (docs/education.md) ---
# Highest reading grade of an article (Flesch-Kincaid in English, Crawford's Spanish grade
# formula in Spanish: education/core.py): 8, after common health-literacy guidance that
# patient materials be at or below an 8th-grade reading level (NIH and AMA advise 6th to
# 8th grade). An edit above it is refused unless the clinic chooses a warning.
KETACARE_EDUCATION_MAX_GRADE = env_int("KETACARE_EDUCATION_MAX_GRADE", 8)
KETACARE_EDUCATION_REFUSE_ABOVE = env_bool("KETACARE_EDUCATION_REFUSE_ABOVE", True)

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

# --- Operations: health, metrics, logs, task results (issue 18; docs/deploy.md) ---
# /healthz answers 503 when the newest worker heartbeat is older than two ticks.
# /metrics answers a scraper that shows this bearer token, or that connects from one of
# these networks (CIDR); with neither matching, 403.
KETACARE_METRICS_TOKEN = _secret_setting("KETACARE_METRICS_TOKEN", "") or ""
KETACARE_METRICS_ALLOWED_NETWORKS = env_list(
    "KETACARE_METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128"
)
# Finished task results are pruned by the measurement tick: successes after 7 days,
# failures (kept longer, for diagnosis) after 30.
KETACARE_TASK_RESULT_DAYS = env_int("KETACARE_TASK_RESULT_DAYS", 7)
KETACARE_FAILED_TASK_RESULT_DAYS = env_int("KETACARE_FAILED_TASK_RESULT_DAYS", 30)
# Health checks and scrapes come over plain HTTP from inside the deployment.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# --- Audit anchoring, backups and files at rest (issue 13; docs/security.md) ---
# The audit chain is anchored outside its own table: an HMAC-SHA256 over each chain head,
# keyed by a secret that never enters the database, appended to a file under var/.
# The development key below is public and refused in production.
DEV_AUDIT_ANCHOR_KEY = "INSECURE-development-only-audit-anchor-key"


KETACARE_AUDIT_ANCHOR_KEY = _secret_setting("KETACARE_AUDIT_ANCHOR_KEY", DEV_AUDIT_ANCHOR_KEY)
KETACARE_AUDIT_ANCHOR_FILE = Path(
    os.environ.get("KETACARE_AUDIT_ANCHOR_FILE", VAR_DIR / "audit-anchors.jsonl")
)
# Backups: where `ketacare backup` writes, and the key that encrypts them (none: plain).
KETACARE_BACKUP_DIR = Path(os.environ.get("KETACARE_BACKUP_DIR", VAR_DIR / "backups"))
KETACARE_BACKUP_KEY = _secret_setting("KETACARE_BACKUP_KEY", None)
# On PostgreSQL the app's KETACARE_DATABASE_URL names a role that owns nothing;
# `ketacare migrate` runs as the owner in KETACARE_MIGRATION_DATABASE_URL (ketacare/cli.py).

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
# A request body over this size is refused with 413 (a form or JSON body). 1 MiB is far
# above the largest real request, a vitals batch.
KETACARE_MAX_BODY_BYTES = env_int("KETACARE_MAX_BODY_BYTES", 1024 * 1024)
# The one file upload, a referral (a FHIR Bundle with its letter as PDF, or a CSV of
# patients), may be larger: scanned referral letters run to several MB.
KETACARE_MAX_UPLOAD_BYTES = env_int("KETACARE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(KETACARE_MAX_BODY_BYTES, KETACARE_MAX_UPLOAD_BYTES)
# Researchers' (de-identified) outcome figures hide every count under 11 and every figure
# worked out from fewer than 11 courses: the cell-size suppression threshold of the CMS
# Cell Size Suppression Policy (counts 1 to 10 are not shown), widely used for health data.
KETACARE_SMALL_CELL_MIN = env_int("KETACARE_SMALL_CELL_MIN", 11)

# --- Exchange (FHIR, Bulk Data, research exports; docs/interoperability.md) ---
# Bulk Data $export files are kept in the default storage under this prefix, and offered
# for this many hours after the job finishes (the manifest's Expires header).
KETACARE_EXPORT_STORAGE_PREFIX = os.environ.get("KETACARE_EXPORT_STORAGE_PREFIX", "fhir-exports")
KETACARE_EXPORT_KEEP_HOURS = env_int("KETACARE_EXPORT_KEEP_HOURS", 24)

# --- Error reporting (optional): Sentry with patient data scrubbed -------------------
# (ketacare/operations/error_reporting.py). Off unless a DSN is set.
KETACARE_SENTRY_DSN = os.environ.get("KETACARE_SENTRY_DSN", "")
if KETACARE_SENTRY_DSN:
    from importlib.metadata import version as _version

    from ketacare.operations import error_reporting as _error_reporting

    _error_reporting.init(
        KETACARE_SENTRY_DSN,
        environment=os.environ.get(
            "KETACARE_SENTRY_ENVIRONMENT", "production" if PRODUCTION else "development"
        ),
        release=f"ketacare@{_version('ketacare')}",
    )

# --- Production start-up checks (issue 18; ketacare/common/startup.py) ---
# Every missing variable is named at once, so one failed start-up lists them all.
if PRODUCTION and (
    _problems := production_problems(
        os.environ, dev_audit_key=KETACARE_AUDIT_ANCHOR_KEY == DEV_AUDIT_ANCHOR_KEY
    )
):
    raise ImproperlyConfigured("; ".join(_problems))
