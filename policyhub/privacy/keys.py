"""Field encryption keys: AES-256-GCM with key ids, and keyed hashes.

Every value is encrypted with the first key of ``POLICYHUB_FIELD_KEYS`` and a
fresh 96-bit nonce. The token names the key by a short id, so any listed key
decrypts, and ``rotate_field_keys`` can tell which values still use an older
key. Token format: ``ph1.<key id>.<base64url(nonce + ciphertext + tag)>``.
"""

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

TOKEN_PREFIX = "ph1"  # noqa: S105 - a format marker, not a secret
NONCE_BYTES = 12
KEY_BYTES = 32


class UndecryptableValue(Exception):
    """A stored value was encrypted with a key that is no longer configured."""


def generate_key():
    """Return a new random 256-bit key, base64url-encoded, for POLICYHUB_FIELD_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def decode_key(text):
    """Return the 32 key bytes of ``text``; raise ValueError when it is not such a key."""
    raw = base64.urlsafe_b64decode(text.encode())
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a key must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def key_id(raw_key):
    """Return the id that tokens use to name ``raw_key``: not secret, not reversible."""
    return hashlib.sha256(b"policyhub-field-key-id:" + raw_key).hexdigest()[:12]


@functools.cache
def _keyring(keys):
    if not keys:
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_KEYS is empty; set it (or POLICYHUB_FIELD_KEYS_FILE) to one "
            "or more keys from 'python manage.py generate_field_key'."
        )
    ring = []
    for text in keys:
        raw = decode_key(text)
        ring.append((key_id(raw), AESGCM(raw)))
    return tuple(ring)


def keyring():
    """Return ``(key id, AESGCM)`` pairs for the configured keys, newest first."""
    return _keyring(tuple(settings.POLICYHUB_FIELD_KEYS))


def encrypt(text):
    """Encrypt ``text`` with the newest key and a fresh nonce; return the token."""
    current_id, cipher = keyring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, text.encode(), None)
    payload = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{TOKEN_PREFIX}.{current_id}.{payload}"


def _split(token):
    try:
        prefix, token_key_id, payload = token.split(".", 2)
        blob = base64.urlsafe_b64decode(payload.encode())
    except ValueError:
        raise UndecryptableValue(
            "A stored value is not an encrypted token; it may have been written "
            "without encryption. Encrypt it with the data migration or re-enter it."
        ) from None
    if prefix != TOKEN_PREFIX or len(blob) <= NONCE_BYTES:
        raise UndecryptableValue("A stored value is not a PolicyHub encrypted token.")
    return token_key_id, blob[:NONCE_BYTES], blob[NONCE_BYTES:]


def decrypt(token):
    """Return the plain text of ``token`` with the key it names."""
    token_key_id, nonce, sealed = _split(token)
    for candidate_id, cipher in keyring():
        if candidate_id == token_key_id:
            try:
                return cipher.decrypt(nonce, sealed, None).decode()
            except InvalidTag:
                raise UndecryptableValue(
                    f"An encrypted value under key {token_key_id} fails its integrity "
                    "check: the stored value was changed or damaged."
                ) from None
    raise UndecryptableValue(
        f"An encrypted value uses key {token_key_id}, which is not in "
        "POLICYHUB_FIELD_KEYS; put that key back (keys may be removed only after "
        "'python manage.py rotate_field_keys' has finished)."
    )


def is_token(value):
    """Return whether ``value`` has the form of an encrypted token."""
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX + ".")


def is_current(token):
    """Return whether ``token`` was encrypted with the newest key."""
    return _split(token)[0] == keyring()[0][0]


def reencrypt(token):
    """Return ``token`` encrypted again with the newest key; the plain text is unchanged."""
    return encrypt(decrypt(token))


def keyed_hash(value):
    """Return the HMAC-SHA256 of ``value`` under POLICYHUB_FIELD_HASH_KEY, in hex.

    Equal inputs give equal hashes, so a column of them can be searched and
    made unique without storing the value itself.
    """
    key = settings.POLICYHUB_FIELD_HASH_KEY
    if not key:
        raise ImproperlyConfigured(
            "POLICYHUB_FIELD_HASH_KEY is empty; set it (or POLICYHUB_FIELD_HASH_KEY_FILE) "
            "to a random value of at least 32 characters."
        )
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "POLICYHUB_FIELD_KEYS":
        _keyring.cache_clear()
