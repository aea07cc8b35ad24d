"""Typed environment readers and production's refusal of unsafe values."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from policyhub.settings.environment import env_bool, env_int, env_list, env_str

from .conftest import REPO


def test_file_variant_reads_secret(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv("PH_TEST_SECRET_FILE", str(secret))
    assert env_str("PH_TEST_SECRET") == "s3cret-value"


def test_both_variants_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PH_TEST_SECRET", "a")
    monkeypatch.setenv("PH_TEST_SECRET_FILE", str(tmp_path / "x"))
    with pytest.raises(ImproperlyConfigured, match="set only one"):
        env_str("PH_TEST_SECRET")


def test_unreadable_file_names_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("PH_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="PH_TEST_SECRET_FILE="):
        env_str("PH_TEST_SECRET")


def test_missing_required_value(monkeypatch):
    monkeypatch.delenv("PH_TEST_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PH_TEST_REQUIRED"):
        env_str("PH_TEST_REQUIRED")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("On", True)])
def test_bool_values(monkeypatch, raw, expected):
    monkeypatch.setenv("PH_TEST_BOOL", raw)
    assert env_bool("PH_TEST_BOOL") is expected


def test_bool_rejects_other_words(monkeypatch):
    monkeypatch.setenv("PH_TEST_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="'maybe' is not a boolean"):
        env_bool("PH_TEST_BOOL")


def test_int_checks_type_and_minimum(monkeypatch):
    monkeypatch.setenv("PH_TEST_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("PH_TEST_INT")
    monkeypatch.setenv("PH_TEST_INT", "3")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 8"):
        env_int("PH_TEST_INT", minimum=8)


def test_list_drops_blanks(monkeypatch):
    monkeypatch.setenv("PH_TEST_LIST", "a.example, ,b.example,")
    assert env_list("PH_TEST_LIST") == ["a.example", "b.example"]


def import_production(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "POLICYHUB_"))
    }
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import policyhub.settings.production"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )


SAFE = {
    "SECRET_KEY": "k" * 60,
    "DATABASE_URL": "postgres://u@127.0.0.1/db",
    "REDIS_URL": "rediss://127.0.0.1:6380/0",
    "POLICYHUB_SIGNING_PASSPHRASE": "pass",
    "ALLOWED_HOSTS": "policies.example.test",
    "POLICYHUB_FIELD_KEYS": "tHf3nJ8gS0vC6yK2mQ9rW1xZ4bL7pD5eA-uO_iN3hGc=",
    "POLICYHUB_FIELD_HASH_KEY": "b4Kc9Lq2Vx7Nz1Rt6Wm3Ys8Pf5Hj0Gd-Ea_Uo",
}


def test_production_accepts_safe_values():
    result = import_production(**SAFE)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECRET_KEY", "short", "SECRET_KEY must be a random value"),
        ("DATABASE_URL", "sqlite:///x", "DATABASE_URL must point at PostgreSQL"),
        ("ALLOWED_HOSTS", "*", "ALLOWED_HOSTS must list"),
    ],
)
def test_production_refuses_unsafe(name, value, message):
    result = import_production(**{**SAFE, name: value})
    assert result.returncode != 0
    assert message in result.stderr
