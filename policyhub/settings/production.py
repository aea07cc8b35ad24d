"""Production settings: refuse to start with unsafe values."""

from django.core.exceptions import ImproperlyConfigured

from . import production_checks
from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    CELERY_BROKER_URL,
    CELERY_RESULT_BACKEND,
    DATABASE_URL,
    DEFAULT_STORAGE,
    POLICYHUB_FIELD_HASH_KEY,
    POLICYHUB_FIELD_KEYS,
    POLICYHUB_SIGNING_PASSPHRASE,
    REDIS_URL,
    SECRET_KEY,
)
from .environment import env_bool, env_int

DEBUG = env_bool("DEBUG", False)
production_checks.check_debug(DEBUG)

if len(SECRET_KEY) < 50 or "demo" in SECRET_KEY or "test" in SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be a random value of at least 50 characters in production "
        "and must not be a demo or test key; set SECRET_KEY (or SECRET_KEY_FILE) to the "
        "output of: python -c 'import secrets; print(secrets.token_urlsafe(64))'."
    )
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production.")
if not POLICYHUB_SIGNING_PASSPHRASE:
    raise ImproperlyConfigured(
        "POLICYHUB_SIGNING_PASSPHRASE (or POLICYHUB_SIGNING_PASSPHRASE_FILE) is "
        "required in production."
    )
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names.")

CELERY_TASK_ALWAYS_EAGER = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers and orchestrators probe the health endpoint over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Data protection: field encryption keys, TLS to Redis, HTTPS everywhere.
production_checks.check_field_keys(POLICYHUB_FIELD_KEYS, POLICYHUB_FIELD_HASH_KEY, SECRET_KEY)
production_checks.check_redis_urls(
    {
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": CELERY_RESULT_BACKEND or "",
    },
    allow_plaintext=env_bool("POLICYHUB_ALLOW_PLAINTEXT_REDIS", False),
)
production_checks.check_no_http_urls(globals())
