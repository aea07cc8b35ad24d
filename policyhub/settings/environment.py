"""Typed readers for settings taken from environment variables.

Every reader accepts ``NAME`` or ``NAME_FILE``: the second names a file whose
contents (without the trailing newline) are the value, which is how container
platforms pass secrets. Setting both is a configuration error.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _read_raw(name):
    """Return the raw string for ``name``, or ``None`` when neither form is set."""
    direct = os.environ.get(name)
    file_path = os.environ.get(f"{name}_FILE")
    if direct is not None and file_path is not None:
        raise ImproperlyConfigured(
            f"Both {name} and {name}_FILE are set; set only one of them."
        )
    if file_path is None:
        return direct
    try:
        with open(file_path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{name}_FILE={file_path!r} cannot be read ({exc.strerror}); "
            "point it at a readable file."
        ) from exc


def _require(name, raw, default):
    if raw is not None:
        return raw
    if default is _MISSING:
        raise ImproperlyConfigured(
            f"The environment variable {name} (or {name}_FILE) is required."
        )
    return None


def env_str(name, default=_MISSING):
    raw = _read_raw(name)
    value = _require(name, raw, default)
    return default if value is None else value


def env_bool(name, default=_MISSING):
    raw = _read_raw(name)
    value = _require(name, raw, default)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of true, false, 1, 0."
    )


def env_int(name, default=_MISSING, minimum=None):
    raw = _read_raw(name)
    value = _require(name, raw, default)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {minimum}.")
    return number


def env_list(name, default=_MISSING):
    """Read a comma-separated list, dropping blank items."""
    raw = _read_raw(name)
    value = _require(name, raw, default)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]
