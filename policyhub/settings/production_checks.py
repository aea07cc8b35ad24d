"""Checks that stop production settings from loading with unsafe values.

Each check raises ``ImproperlyConfigured`` with a message that names the
setting or environment variable and the fix.
"""

import logging
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .protection import DEV_FIELD_HASH_KEY, DEV_FIELD_KEYS, FIELD_HASH_KEY_MIN_LENGTH

logger = logging.getLogger("policyhub.settings")


def check_debug(debug):
    if debug:
        raise ImproperlyConfigured(
            "DEBUG is on. Production must never show debug pages, which reveal "
            "settings and data: unset DEBUG or set DEBUG=false."
        )


def check_field_keys(field_keys, hash_key, secret_key):
    """Require real field encryption keys and a long keyed-hash key, apart from SECRET_KEY."""
    if not field_keys:
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_KEYS is not set. Production encrypts personal data with "
            "it: set POLICYHUB_FIELD_KEYS (or POLICYHUB_FIELD_KEYS_FILE) to a key from "
            "'python manage.py generate_field_key'."
        )
    if set(field_keys) & set(DEV_FIELD_KEYS):
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_KEYS contains the published demo key; generate a new key "
            "with 'python manage.py generate_field_key', put it first, and run "
            "'python manage.py rotate_field_keys' before removing the demo key."
        )
    if not hash_key or hash_key == DEV_FIELD_HASH_KEY or len(hash_key) < FIELD_HASH_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_HASH_KEY must be a random value of at least "
            f"{FIELD_HASH_KEY_MIN_LENGTH} characters, not the demo key; set it (or "
            "POLICYHUB_FIELD_HASH_KEY_FILE) to the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if hash_key == secret_key or secret_key in field_keys:
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_HASH_KEY or POLICYHUB_FIELD_KEYS reuses SECRET_KEY; each "
            "key has one purpose, so generate separate values for them."
        )


def check_redis_urls(urls, allow_plaintext):
    """Require rediss:// with certificate checks for every Redis connection.

    ``allow_plaintext`` (POLICYHUB_ALLOW_PLAINTEXT_REDIS) accepts redis:// for
    a Redis reachable only on a private network, with a warning on each start.
    """
    for name, url in urls.items():
        parts = urlsplit(url)
        if parts.scheme == "rediss":
            requirement = parse_qs(parts.query).get("ssl_cert_reqs", ["required"])[-1]
            if requirement.lower() not in ("required", "cert_required"):
                raise ImproperlyConfigured(
                    f"{name} turns certificate checks off (ssl_cert_reqs={requirement}); "
                    "remove ssl_cert_reqs from the URL and set REDIS_TLS_CA_CERTS to the "
                    "CA bundle that signed Redis's certificate."
                )
        elif parts.scheme in ("redis", "unix"):
            if not allow_plaintext:
                raise ImproperlyConfigured(
                    f"{name} uses {parts.scheme}:// without TLS. Use a rediss:// URL "
                    "(and REDIS_TLS_CA_CERTS for a private CA), or, only for a Redis "
                    "on a private network, set POLICYHUB_ALLOW_PLAINTEXT_REDIS=true."
                )
            logger.warning(
                "%s connects to Redis without TLS because POLICYHUB_ALLOW_PLAINTEXT_REDIS "
                "is set; traffic, including session data, is unencrypted.",
                name,
            )


# Plain HTTP to these hosts never leaves the machine, as with a stack that
# serves the loopback address only.
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _http_values(value):
    if isinstance(value, str):
        if value.lower().startswith("http://") and urlsplit(value).hostname not in LOOPBACK_HOSTS:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _http_values(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _http_values(item)


def check_no_http_urls(settings_namespace):
    """Reject any setting whose value (or nested value) is an http:// URL.

    URLs of the loopback address are allowed, because their traffic stays on
    the machine.
    """
    offending = sorted(
        name
        for name, value in settings_namespace.items()
        if name.isupper() and any(True for _ in _http_values(value))
    )
    if offending:
        raise ImproperlyConfigured(
            f"{', '.join(offending)} contain(s) an http:// URL. Production talks to "
            "every service over HTTPS: change each URL to https:// (for "
            "WAGTAILADMIN_BASE_URL set POLICYHUB_BASE_URL, for CSRF_TRUSTED_ORIGINS "
            "set CSRF_TRUSTED_ORIGINS, for the object store AWS_S3_ENDPOINT_URL)."
        )
