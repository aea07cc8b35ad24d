"""Settings for the local demo: SQLite, eager Celery tasks, console email."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR

DEBUG = True
# The demo key only protects sessions of the local demo; production refuses it.
SECRET_KEY = SECRET_KEY or "policyhub-demo-only-not-for-production"
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The demo logs readable lines; set LOG_FORMAT=json to see production's output.
from .base import build_logging, env_str

LOGGING = build_logging(
    env_str("LOG_FORMAT", "text") == "json",
    env_str("LOG_LEVEL", "INFO"),
    service=env_str("POLICYHUB_SERVICE", "web"),
    environment=env_str("POLICYHUB_ENVIRONMENT", "demo"),
)

# Fixed encryption keys for the local demo; production refuses them.
from .protection import DEV_FIELD_HASH_KEY, DEV_FIELD_KEYS  # noqa: E402

POLICYHUB_FIELD_KEYS = POLICYHUB_FIELD_KEYS or DEV_FIELD_KEYS  # noqa: F405
POLICYHUB_FIELD_HASH_KEY = POLICYHUB_FIELD_HASH_KEY or DEV_FIELD_HASH_KEY  # noqa: F405
