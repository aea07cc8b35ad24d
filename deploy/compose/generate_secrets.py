"""Create the secrets of the Docker Compose stack on its first start.

Writes one file per secret into the directory given as the first argument
(the ``secrets`` volume). It keeps every file that already exists, so a
restart never changes a password, and an operator can place their own value
in a file before the first start. It runs as root inside the PolicyHub
image, because it hands each file to the user that reads it.
"""

import base64
import os
import secrets
import sys
from pathlib import Path

APP_UID = 10001
# The postgres user of the official Debian-based postgres image, which reads
# POSTGRES_PASSWORD_FILE after dropping root.
POSTGRES_GID = 999


def write_once(path, value, gid=None, mode=0o600):
    """Write ``value`` to ``path`` unless the file exists; return whether it did.

    The file is created with its final mode, so it is never readable by others.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.chown(path, APP_UID, APP_UID if gid is None else gid)
    return True


def random_secret(length):
    """Return a random URL-safe string; production settings reject a
    SECRET_KEY that contains "demo" or "test", so such values are redrawn."""
    while True:
        value = secrets.token_urlsafe(length)
        if "demo" not in value and "test" not in value:
            return value


def read(path):
    return path.read_text(encoding="utf-8").strip()


def main(directory):
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    created = []
    simple = {
        "secret_key": random_secret(64),
        "redis_password": random_secret(32),
        "signing_passphrase": random_secret(32),
        # 32 random bytes, base64url: an AES-256 key for encrypted fields.
        "field_keys": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "field_hash_key": random_secret(48),
    }
    for name, value in simple.items():
        if write_once(target / name, value):
            created.append(name)
    if write_once(target / "postgres_password", random_secret(32), gid=POSTGRES_GID, mode=0o640):
        created.append("postgres_password")

    # The URLs embed the passwords, so they are derived from the files above.
    database_url = (
        f"postgres://policyhub:{read(target / 'postgres_password')}@postgres:5432/policyhub"
    )
    redis_url = f"redis://:{read(target / 'redis_password')}@redis:6379/0"
    if write_once(target / "database_url", database_url):
        created.append("database_url")
    if write_once(target / "redis_url", redis_url):
        created.append("redis_url")
    print(f"Secrets in {target}: created {', '.join(created) or 'none'}; kept the rest.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: generate_secrets.py DIRECTORY")
    main(sys.argv[1])
