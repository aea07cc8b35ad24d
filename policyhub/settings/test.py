"""Settings for the test suite.

Tests use PostgreSQL when DATABASE_URL is set (as CI does) and SQLite
otherwise. Celery runs eagerly unless a test starts a real worker.
"""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import REDIS_URL

SECRET_KEY = "policyhub-test-key"  # noqa: S105 - test settings only
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = REDIS_URL or "redis://127.0.0.1:6379/15"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A per-process cache, so rate-limit counters never leak between test runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="policyhub-test-media-"))
VAR_DIR = Path(tempfile.mkdtemp(prefix="policyhub-test-var-"))
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir()
POLICYHUB_SIGNING_P12 = VAR_DIR / "signing" / "test-signing.p12"
POLICYHUB_SIGNING_PASSPHRASE = "test-passphrase"  # noqa: S105 - test settings only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The personas have no authenticator, so tests outside the MFA module would be
# sent to enrolment; tests/test_identity_mfa.py turns enforcement on.
MFA_ENFORCED = False

# The audit trail is append-only in the database, so transactional tests must
# not reload it from the serialised copy (that reload updates existing rows).
TEST_NON_SERIALIZED_APPS = ["policyhub.audit"]

# Sessions as production stores them (cached_db), whether or not REDIS_URL is
# set, so query counts are the same on SQLite and on PostgreSQL.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Fixed encryption keys, so tests need no environment.
from .protection import DEV_FIELD_HASH_KEY, DEV_FIELD_KEYS  # noqa: E402

POLICYHUB_FIELD_KEYS = DEV_FIELD_KEYS
POLICYHUB_FIELD_HASH_KEY = DEV_FIELD_HASH_KEY
