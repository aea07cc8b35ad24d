"""Stateless web processes: signed PDFs in object storage, sessions in Redis.

S3 is played by moto's in-process mock, so no request leaves the process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.core.files.storage import default_storage
from moto import mock_aws

from policyhub.exports.models import SignedPolicyPdf
from policyhub.exports.services import signed_pdf_for
from policyhub.exports.signing import verify_pdf_bytes

REPO = Path(__file__).resolve().parent.parent
BUCKET = "policyhub-deploy-test"
S3_STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "region_name": "eu-west-2",
            "file_overwrite": False,
            "default_acl": None,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOCAL_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture
def s3_bucket(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield client


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, settings):
    """Run the test once with local disk and once with an S3 bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
        settings.STORAGES = S3_STORAGES
    else:
        settings.STORAGES = LOCAL_STORAGES
    return request.param


@pytest.mark.django_db
def test_signed_pdf_round_trips_storage(
    storage_backend, published_policy, client, personas
):
    _page, version = published_policy
    record = signed_pdf_for(version, actor="test:storage")
    assert default_storage.exists(record.file.name)
    assert record.file.name.startswith("signed-pdfs/access-control/")
    with record.file.open("rb") as handle:
        stored = handle.read()
    assert len(stored) == record.size_bytes
    assert verify_pdf_bytes(stored).valid

    again = signed_pdf_for(version, actor="test:storage-again")
    assert again.pk == record.pk
    assert SignedPolicyPdf.objects.count() == 1

    client.force_login(personas["auditor"])
    response = client.get(f"/exports/versions/{version.pk}/signed.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored
    assert response["X-Content-SHA256"] == record.sha256


@pytest.mark.django_db
def test_signed_pdf_lands_in_bucket(s3_bucket, settings, published_policy):
    settings.STORAGES = S3_STORAGES
    _page, version = published_policy
    record = signed_pdf_for(version, actor="test:storage")
    keys = [
        item["Key"] for item in s3_bucket.list_objects_v2(Bucket=BUCKET)["Contents"]
    ]
    assert keys == [record.file.name]
    body = s3_bucket.get_object(Bucket=BUCKET, Key=record.file.name)["Body"].read()
    assert verify_pdf_bytes(body).valid


def production_settings(extra):
    """Import the production settings in a fresh interpreter; return a few values."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "policyhub.settings.production",
        "SECRET_KEY": "Xq7vR2mK9pL4sT8wN3bY6cF1hJ5dG0zA-uE_iO2rQ7tW4yB9nM3kV8xC6",
        "DATABASE_URL": "postgres://policyhub@db.internal:5432/policyhub",
        "REDIS_URL": "rediss://cache.internal:6379/0",
        "POLICYHUB_SIGNING_PASSPHRASE": "unused",
        "ALLOWED_HOSTS": "policies.bank.example",
        "POLICYHUB_BASE_URL": "https://policies.bank.example",
        "POLICYHUB_FIELD_KEYS": "tHf3nJ8gS0vC6yK2mQ9rW1xZ4bL7pD5eA-uO_iN3hGc=",
        "POLICYHUB_FIELD_HASH_KEY": "b4Kc9Lq2Vx7Nz1Rt6Wm3Ys8Pf5Hj0Gd-Ea_Uo",
        **extra,
    }
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'session': s.SESSION_ENGINE, 'storages': s.STORAGES}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_uses_bucket_when_configured(tmp_path):
    secret_file = tmp_path / "secret-access-key"
    secret_file.write_text("from-a-file\n")
    values = production_settings(
        {
            "AWS_STORAGE_BUCKET_NAME": "policyhub-documents",
            "AWS_S3_ENDPOINT_URL": "https://minio.internal:9000",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "policyhub",
            "AWS_SECRET_ACCESS_KEY_FILE": str(secret_file),
            "AWS_S3_SERVER_SIDE_ENCRYPTION": "AES256",
        }
    )
    default = values["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "policyhub-documents"
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert options["addressing_style"] == "path"
    assert options["secret_key"] == "from-a-file"
    assert options["file_overwrite"] is False
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}
    assert values["storages"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert values["session"] == "django.contrib.sessions.backends.cached_db"


def test_workload_identity_leaves_keys_unset():
    options = production_settings({"AWS_STORAGE_BUCKET_NAME": "policyhub-documents"})[
        "storages"
    ]["default"]["OPTIONS"]
    assert options["access_key"] is None
    assert options["secret_key"] is None
    assert options["endpoint_url"] is None
    assert options["object_parameters"] == {}


def test_production_defaults_to_local_disk():
    values = production_settings({})
    assert values["storages"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )


@pytest.fixture
def redis_sessions(settings):
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set; sessions in Redis need a Redis server")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "policyhub-deploy-test",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield caches["default"]
    caches["default"].clear()


@pytest.mark.django_db
def test_session_survives_cache_flush(redis_sessions, client, personas):
    client.force_login(personas["employee"])
    session_key = client.cookies["sessionid"].value
    cached = redis_sessions.get(f"django.contrib.sessions.cached_db{session_key}")
    assert cached[SESSION_KEY] == str(personas["employee"].pk)

    # Another web process reads the same session from Redis; after Redis
    # loses its data, the database copy still signs the user in.
    redis_sessions.clear()
    response = client.get("/policies/")
    assert response.wsgi_request.user == personas["employee"]
