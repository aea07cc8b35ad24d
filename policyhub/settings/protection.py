"""Settings readers for data protection: field encryption keys and TLS options.

These are plain functions without Django imports beyond the exception, so the
settings modules and the tests can call them with any input.
"""

import base64
import re
import ssl
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .environment import _read_raw

# Keys for the demo and the test suite only. Anyone can read them here, so
# production refuses to start with them.
DEV_FIELD_KEYS = ["mUmXdgPyVKHhAsQEXHCnba-QRAvr8QGw05Ti-kHOK_U="]
DEV_FIELD_HASH_KEY = "policyhub-dev-field-hash-key-not-for-production"
FIELD_HASH_KEY_MIN_LENGTH = 32


def parse_field_keys(raw, name="POLICYHUB_FIELD_KEYS"):
    """Split ``raw`` on commas and line breaks into AES-256 keys, newest first.

    Each key must be the base64url encoding of 32 random bytes, as
    ``python manage.py generate_field_key`` prints. The error names the
    position of an invalid key, never the key itself.
    """
    keys = [item.strip() for item in re.split(r"[,\r\n]+", raw or "") if item.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except ValueError:
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"Key {position} of {name} is not a valid key (32 random bytes, "
                "base64url-encoded); generate one with 'python manage.py generate_field_key'."
            )
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(f"{name} lists the same key twice; remove the duplicate.")
    return keys


def read_field_keys():
    """Return the field encryption keys from POLICYHUB_FIELD_KEYS(_FILE)."""
    return parse_field_keys(_read_raw("POLICYHUB_FIELD_KEYS"))


def read_field_hash_key():
    """Return the keyed-hash key from POLICYHUB_FIELD_HASH_KEY(_FILE), or ""."""
    return (_read_raw("POLICYHUB_FIELD_HASH_KEY") or "").strip()


def redis_ssl_options(url, ca_file):
    """Return the redis-py options for ``url``: certificate checks for rediss://.

    A ``rediss://`` connection requires a certificate that chains to
    ``ca_file`` (or to the system's CA store when ``ca_file`` is empty) and
    whose name matches the host. Other schemes get no options.
    """
    if urlsplit(url).scheme != "rediss":
        return {}
    options = {"ssl_cert_reqs": "required", "ssl_check_hostname": True}
    if ca_file:
        options["ssl_ca_certs"] = str(ca_file)
    return options


def celery_ssl_options(url, ca_file):
    """Return Celery's ``broker_use_ssl`` / ``redis_backend_use_ssl`` value.

    Celery takes the ``ssl`` module's constant rather than the word.
    """
    options = redis_ssl_options(url, ca_file)
    if not options:
        return None
    celery_options = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if "ssl_ca_certs" in options:
        celery_options["ssl_ca_certs"] = options["ssl_ca_certs"]
    return celery_options


def redis_cache(url, ca_file):
    """Return the CACHES entry for a Redis cache at ``url``."""
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    options = redis_ssl_options(url, ca_file)
    if options:
        cache["OPTIONS"] = options
    return cache


POSTGRES_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def database_ssl_options(database_url, sslmode="", sslrootcert=""):
    """Return libpq TLS options for ``database_url``, from its query or the env values.

    ``sslmode`` and ``sslrootcert`` given in the URL's query win over the
    DATABASE_SSLMODE and DATABASE_SSLROOTCERT values passed here. The modes
    ``verify-ca`` and ``verify-full`` need a root certificate.
    """
    query = {key: values[-1] for key, values in parse_qs(urlsplit(database_url).query).items()}
    mode = query.get("sslmode") or sslmode
    root = query.get("sslrootcert") or sslrootcert
    options = {}
    if mode:
        if mode not in POSTGRES_SSL_MODES:
            raise ImproperlyConfigured(
                f"sslmode={mode!r} in DATABASE_URL or DATABASE_SSLMODE is invalid; use "
                f"one of {', '.join(POSTGRES_SSL_MODES)} (verify-full in production)."
            )
        options["sslmode"] = mode
    if root:
        options["sslrootcert"] = root
    if mode in ("verify-ca", "verify-full") and not root:
        raise ImproperlyConfigured(
            f"sslmode={mode} needs the CA certificate that signed the database's "
            "certificate: set DATABASE_SSLROOTCERT or add sslrootcert= to DATABASE_URL."
        )
    return options
