"""TLS to Redis (cache, Celery broker) and PostgreSQL, configured from settings.

The Redis tests start their own redis-server with TLS on a free loopback
port, with a certificate from a test CA made here.
"""

import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from kombu import Connection

from policyhub.settings.protection import (
    celery_ssl_options,
    database_ssl_options,
    redis_cache,
    redis_ssl_options,
)

from .conftest import REPO

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def make_server_certificate(ca_key, ca_certificate):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("redis.test"))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def write_pem(path, certificate=None, key=None):
    if certificate is not None:
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    """A redis-server that accepts only TLS on a free loopback port."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    directory = tmp_path_factory.mktemp("redis-tls")
    ca_key, ca_certificate = make_ca("PolicyHub test CA")
    server_key, server_certificate = make_server_certificate(ca_key, ca_certificate)
    _, other_ca = make_ca("Unrelated CA")
    files = {
        "ca": write_pem(directory / "ca.pem", certificate=ca_certificate),
        "wrong_ca": write_pem(directory / "wrong-ca.pem", certificate=other_ca),
        "cert": write_pem(directory / "server.pem", certificate=server_certificate),
        "key": write_pem(directory / "server.key", key=server_key),
    }
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(files["cert"]),
            "--tls-key-file",
            str(files["key"]),
            "--tls-ca-cert-file",
            str(files["ca"]),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with status {process.returncode}")
            time.sleep(0.1)
        else:
            pytest.fail("redis-server with TLS did not start within 20 seconds")
        yield {"url": f"rediss://127.0.0.1:{port}/0", **files}
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- Options derived from settings ----------------------------------------------------


def test_rediss_requires_certificate():
    options = redis_ssl_options("rediss://cache.example.test:6380/0", "/etc/ca.pem")
    assert options == {
        "ssl_cert_reqs": "required",
        "ssl_check_hostname": True,
        "ssl_ca_certs": "/etc/ca.pem",
    }
    assert celery_ssl_options("rediss://cache.example.test:6380/0", "/etc/ca.pem") == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": "/etc/ca.pem",
    }


def test_plain_redis_gets_no_tls_options():
    assert redis_ssl_options("redis://127.0.0.1:6379/0", "/etc/ca.pem") == {}
    assert celery_ssl_options("memory://", "") is None
    assert "OPTIONS" not in redis_cache("redis://127.0.0.1:6379/0", "")


# --- A real TLS Redis --------------------------------------------------------------------


@needs_redis
def test_redis_client_accepts_right_ca(tls_redis):
    client = redis.Redis.from_url(
        tls_redis["url"], **redis_ssl_options(tls_redis["url"], tls_redis["ca"])
    )
    assert client.ping() is True
    client.close()


@needs_redis
def test_redis_client_rejects_wrong_ca(tls_redis):
    client = redis.Redis.from_url(
        tls_redis["url"],
        socket_timeout=5,
        **redis_ssl_options(tls_redis["url"], tls_redis["wrong_ca"]),
    )
    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        client.ping()
    client.close()


@needs_redis
def test_celery_broker_options_verify_ca(tls_redis):
    good = Connection(tls_redis["url"], ssl=celery_ssl_options(tls_redis["url"], tls_redis["ca"]))
    good.ensure_connection(max_retries=1)
    good.release()
    bad = Connection(
        tls_redis["url"], ssl=celery_ssl_options(tls_redis["url"], tls_redis["wrong_ca"])
    )
    with pytest.raises(Exception, match="certificate verify failed"):
        bad.ensure_connection(max_retries=0)
    bad.release()


SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import cache
from policyhub.celery import app
result = {"cache_options": settings.CACHES["default"].get("OPTIONS")}
try:
    cache.set("policyhub-tls-probe", "ok", 30)
    result["cache"] = cache.get("policyhub-tls-probe")
except Exception as exc:
    result["cache"] = f"error: {exc}"
try:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)
    result["broker"] = "ok"
except Exception as exc:
    result["broker"] = f"error: {exc}"
print(json.dumps(result))
"""


def run_with_settings(url, ca_file):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_", "DJANGO_SETTINGS"))
    }
    env.update(
        REDIS_URL=url,
        REDIS_TLS_CA_CERTS=str(ca_file),
        DJANGO_SETTINGS_MODULE="policyhub.settings.dev",
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs_redis
def test_settings_connect_with_right_ca(tls_redis):
    result = run_with_settings(tls_redis["url"], tls_redis["ca"])
    assert result["cache_options"]["ssl_cert_reqs"] == "required"
    assert result["cache"] == "ok"
    assert result["broker"] == "ok"


@needs_redis
def test_settings_reject_wrong_ca(tls_redis):
    result = run_with_settings(tls_redis["url"], tls_redis["wrong_ca"])
    assert "certificate verify failed" in result["cache"]
    assert "certificate verify failed" in result["broker"]


# --- PostgreSQL ----------------------------------------------------------------------------


def test_database_url_query_sets_verify_full():
    options = database_ssl_options(
        "postgres://u@db.example.test/policyhub?sslmode=verify-full&sslrootcert=/ca/db.pem"
    )
    assert options == {"sslmode": "verify-full", "sslrootcert": "/ca/db.pem"}


def test_database_env_values_apply():
    options = database_ssl_options(
        "postgres://u@db.example.test/policyhub", "verify-full", "/ca/root.pem"
    )
    assert options == {"sslmode": "verify-full", "sslrootcert": "/ca/root.pem"}


def test_verify_full_without_root_rejected():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_SSLROOTCERT"):
        database_ssl_options("postgres://u@db.example.test/p?sslmode=verify-full")


def test_unknown_sslmode_rejected():
    with pytest.raises(ImproperlyConfigured, match="sslmode='verify'"):
        database_ssl_options("postgres://u@db.example.test/p", "verify")


def test_settings_pass_sslmode_to_psycopg():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "DJANGO_SETTINGS"))
    }
    env.update(
        DATABASE_URL="postgres://u@db.example.test/policyhub",
        DATABASE_SSLMODE="verify-full",
        DATABASE_SSLROOTCERT="/run/secrets/db-ca.pem",
        DJANGO_SETTINGS_MODULE="policyhub.settings.dev",
    )
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options["sslmode"] == "verify-full"
    assert options["sslrootcert"] == "/run/secrets/db-ca.pem"
