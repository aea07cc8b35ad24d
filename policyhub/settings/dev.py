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
