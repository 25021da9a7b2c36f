"""Test settings: the app's settings, plus KETACARE_TEST_DATABASE_URL when it is set."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from ketacare.settings import *  # noqa: F403
from ketacare.settings import DATABASES, with_connection_options

if url := os.environ.get("KETACARE_TEST_DATABASE_URL"):
    DATABASES["default"] = with_connection_options(dj_database_url.parse(url))
else:
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},
    }

# Hashing cost is not under test; keep the suite fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Tasks run inline and email stays in memory: tests make no network calls and never wait.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
KETACARE_SMS_BACKEND = "ketacare.messaging.sms.FileSmsBackend"

# Stories move the clock on by hours between steps where a real screen keeps polling the
# server; the idle timeout is tested at its own value in tests/signin.
KETACARE_IDLE_MINUTES = 24 * 60

# Audit anchors never go to the project's var/; tests/conftest.py gives each test its own.
KETACARE_AUDIT_ANCHOR_FILE = Path(tempfile.gettempdir()) / f"ketacare-test-anchors-{os.getpid()}"

# A second alias for the read-replica router (ketacare/operations/routers.py): the same
# database, as a test mirror. Reports read through it only in the tests that turn it on
# (tests/ops/test_replica_router.py) and declare it.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
KETACARE_REPLICA_READS = False

# Files the app stores (exports, letters) go to a temporary directory, never var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ketacare-test-media-"))
