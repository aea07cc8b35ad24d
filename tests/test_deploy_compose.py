"""docker-compose.yml: validated without a Docker engine.

`docker compose config` needs the Compose plugin, which this machine lacks;
Debian's docker-compose 1.29 validates the file against the Compose
specification schema without an engine, so the tests use it when installed.
The structural checks and the settings check run everywhere.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_SCHEMA = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")
APP_SERVICES = ("init", "web", "worker", "beat")
SECRET_VARIABLES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "POLICYHUB_SIGNING_PASSPHRASE",
    "AWS_SECRET_ACCESS_KEY",
)
sys.path.insert(0, str(REPO / "deploy" / "compose"))
import generate_secrets  # noqa: E402 - deploy/compose is not a package


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


def resolved_environment(service):
    """Return the service's environment with ${NAME:-default} replaced by the default."""
    result = {}
    for name, value in (service.get("environment") or {}).items():
        value = str(value)
        if value.startswith("${") and ":-" in value:
            value = value[value.index(":-") + 2 : -1]
        result[name] = value
    return result


def compose_command():
    """Return the argv prefix of a Compose implementation that can run `config`."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    return None


def test_compose_config_validates():
    command = compose_command()
    if command is None:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    for profile in ([], ["--profile", "tls"]):
        result = subprocess.run(
            [*command, "--file", str(COMPOSE_FILE), *profile, "config", "--quiet"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    services = subprocess.run(
        [
            *command,
            "--file",
            str(COMPOSE_FILE),
            "--profile",
            "tls",
            "config",
            "--services",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert set(services) == {"secrets", "postgres", "redis", *APP_SERVICES, "proxy"}


def test_compose_matches_specification_schema(compose):
    if not COMPOSE_SCHEMA.exists():
        pytest.skip(f"{COMPOSE_SCHEMA} is missing; apt-get install docker-compose")
    # The schema names draft 2019-09 with a trailing "#" that jsonschema does
    # not recognise, so the validator class is chosen here.
    validator = jsonschema.Draft201909Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    validator.validate(compose)
    broken = dict(compose, services={"web": {"image": "x", "restart": ["always"]}})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_app_services_share_one_image(compose):
    images = {compose["services"][name]["image"] for name in (*APP_SERVICES, "secrets")}
    assert images == {"${POLICYHUB_IMAGE:-policyhub:local}"}
    assert compose["services"]["worker"]["command"][:4] == [
        "celery",
        "-A",
        "policyhub",
        "worker",
    ]
    assert compose["services"]["beat"]["command"][:4] == [
        "celery",
        "-A",
        "policyhub",
        "beat",
    ]
    assert "deploy" not in compose["services"]["beat"]


def test_init_migrates_before_app_starts(compose):
    init = compose["services"]["init"]
    script = init["command"][-1]
    assert "manage.py migrate --no-input" in script
    assert "manage.py create_signing_certificate" in script
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert init["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        condition = compose["services"][name]["depends_on"]["init"]["condition"]
        assert condition == "service_completed_successfully"


def test_secrets_come_from_files(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        for variable in SECRET_VARIABLES:
            assert variable not in environment, f"{name} sets {variable} inline"
        for variable in SECRET_VARIABLES[:4]:
            assert environment[f"{variable}_FILE"].startswith("/run/policyhub/")
    postgres = compose["services"]["postgres"]["environment"]
    assert "POSTGRES_PASSWORD" not in postgres
    assert postgres["POSTGRES_PASSWORD_FILE"] == "/run/policyhub/postgres_password"


def test_app_containers_are_hardened(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
        assert "user" not in service, f"{name} must run as the image's UID 10001"
        assert "signing:/app/var/signing:ro" in service["volumes"] or name == "init"
    ports = compose["services"]["web"]["ports"]
    assert ports == ["127.0.0.1:8000:8000"]
    assert compose["services"]["proxy"]["profiles"] == ["tls"]


def test_generated_secrets_are_private_and_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(generate_secrets, "APP_UID", os.getuid())
    monkeypatch.setattr(generate_secrets, "POSTGRES_GID", os.getgid())
    generate_secrets.main(tmp_path)
    first = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert set(first) == {
        "secret_key",
        "redis_password",
        "signing_passphrase",
        "field_keys",
        "field_hash_key",
        "postgres_password",
        "database_url",
        "redis_url",
    }
    for path in tmp_path.iterdir():
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o007 == 0, f"{path.name} is readable by others"
    assert len(first["secret_key"].strip()) >= 50
    password = first["postgres_password"].strip()
    assert first["database_url"].strip() == (
        f"postgres://policyhub:{password}@postgres:5432/policyhub"
    )
    generate_secrets.main(tmp_path)
    second = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert second == first


def test_compose_environment_passes_production_checks(tmp_path, compose, monkeypatch):
    monkeypatch.setattr(generate_secrets, "APP_UID", os.getuid())
    monkeypatch.setattr(generate_secrets, "POSTGRES_GID", os.getgid())
    generate_secrets.main(tmp_path)

    environment = {
        name: value.replace("/run/policyhub", str(tmp_path))
        for name, value in resolved_environment(compose["services"]["web"]).items()
    }
    environment["POLICYHUB_SIGNING_P12"] = str(tmp_path / "signing.p12")

    keep = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "ERROR"],
        cwd=REPO,
        env={**keep, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_ENGINE, s.STORAGES['default']['BACKEND'], "
        "s.CACHES['default']['BACKEND'], s.DATABASES['default']['HOST']]))"
    )
    settings_dump = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**keep, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert settings_dump.returncode == 0, settings_dump.stderr
    session_engine, storage, cache, database_host = json.loads(
        settings_dump.stdout.strip().splitlines()[-1]
    )
    assert session_engine == "django.contrib.sessions.backends.cached_db"
    assert storage == "django.core.files.storage.FileSystemStorage"
    assert cache == "django.core.cache.backends.redis.RedisCache"
    assert database_host == "postgres"
