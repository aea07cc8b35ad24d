"""Production settings refuse unsafe values, and check --deploy is clean."""

import os
import subprocess
import sys

import pytest

from policyhub.settings.protection import DEV_FIELD_HASH_KEY, DEV_FIELD_KEYS

from .conftest import REPO

# Random-looking values made for this test only; they protect nothing.
SAFE = {
    "SECRET_KEY": "Xq7vR2mK9pL4sT8wN3bY6cF1hJ5dG0zA-uE_iO2rQ7tW4yB9nM3kV8xC6",
    "DATABASE_URL": "postgres://u@127.0.0.1/policyhub",
    "REDIS_URL": "rediss://127.0.0.1:6380/0",
    "POLICYHUB_SIGNING_PASSPHRASE": "pass",
    "ALLOWED_HOSTS": "policies.example.test",
    "POLICYHUB_BASE_URL": "https://policies.example.test",
    "POLICYHUB_FIELD_KEYS": "tHf3nJ8gS0vC6yK2mQ9rW1xZ4bL7pD5eA-uO_iN3hGc=",
    "POLICYHUB_FIELD_HASH_KEY": "b4Kc9Lq2Vx7Nz1Rt6Wm3Ys8Pf5Hj0Gd-Ea_Uo",
}


def clean_environment(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "DATABASE_",
                "REDIS_",
                "SECRET_KEY",
                "POLICYHUB_",
                "DEBUG",
                "CELERY_",
                "CSRF_",
                "AWS_",
                "DJANGO_SETTINGS",
            )
        )
    }
    env.update(SAFE)
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def import_production(**overrides):
    return subprocess.run(
        [sys.executable, "-c", "import policyhub.settings.production"],
        cwd=REPO,
        env=clean_environment(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_safe_values_start():
    result = import_production()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "true"}, "DEBUG is on"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random value"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be a random value"),
        (
            {"SECRET_KEY": "policyhub-demo-only-not-for-production" + "x" * 20},
            "must not be a demo or test key",
        ),
        ({"POLICYHUB_FIELD_KEYS": None}, "POLICYHUB_FIELD_KEYS is not set"),
        ({"POLICYHUB_FIELD_KEYS": DEV_FIELD_KEYS[0]}, "contains the published demo key"),
        ({"POLICYHUB_FIELD_KEYS": "not-a-key"}, "Key 1 of POLICYHUB_FIELD_KEYS is not a valid key"),
        ({"POLICYHUB_FIELD_HASH_KEY": None}, "POLICYHUB_FIELD_HASH_KEY must be"),
        ({"POLICYHUB_FIELD_HASH_KEY": DEV_FIELD_HASH_KEY}, "POLICYHUB_FIELD_HASH_KEY must be"),
        ({"POLICYHUB_FIELD_HASH_KEY": "short"}, "at least 32 characters"),
        ({"POLICYHUB_FIELD_HASH_KEY": SAFE["SECRET_KEY"]}, "reuses SECRET_KEY"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "REDIS_URL uses redis:// without TLS"),
        (
            {"REDIS_URL": "rediss://127.0.0.1:6380/0?ssl_cert_reqs=none"},
            "REDIS_URL turns certificate checks off",
        ),
        (
            {"POLICYHUB_BASE_URL": "http://policies.example.test"},
            "WAGTAILADMIN_BASE_URL contain(s) an http:// URL",
        ),
        (
            {"CSRF_TRUSTED_ORIGINS": "http://policies.example.test"},
            "CSRF_TRUSTED_ORIGINS contain(s) an http:// URL",
        ),
        (
            {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ENDPOINT_URL": "http://s3.example.test"},
            "STORAGES contain(s) an http:// URL",
        ),
    ],
    ids=[
        "debug",
        "short-secret",
        "missing-secret",
        "demo-secret",
        "no-field-keys",
        "demo-field-key",
        "invalid-field-key",
        "no-hash-key",
        "demo-hash-key",
        "short-hash-key",
        "hash-key-is-secret-key",
        "plain-redis",
        "rediss-without-verification",
        "http-base-url",
        "http-csrf-origin",
        "http-object-store",
    ],
)
def test_unsafe_value_refused(overrides, message):
    result = import_production(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_plain_redis_allowed_with_flag_and_warning():
    result = import_production(
        REDIS_URL="redis://10.0.0.5:6379/0", POLICYHUB_ALLOW_PLAINTEXT_REDIS="true"
    )
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL connects to Redis without TLS" in result.stderr


def test_loopback_http_url_allowed():
    result = import_production(POLICYHUB_BASE_URL="http://127.0.0.1:8000")
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_nothing(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=policyhub.settings.production",
        ],
        cwd=REPO,
        env=clean_environment(POLICYHUB_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
