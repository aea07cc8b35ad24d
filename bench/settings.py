"""Settings for benchmark runs: production-like (DEBUG off), a bare view for
comparison, and email sent nowhere so only PolicyHub's own work is timed."""

from policyhub.settings.base import *  # noqa: F403
from policyhub.settings.base import env_str

SECRET_KEY = env_str("SECRET_KEY", "policyhub-bench-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "WARNING"}}
MFA_ENFORCED = False  # bench sessions come from force_login, without a second factor
