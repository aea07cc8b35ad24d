"""Settings for the local demo: SQLite, eager Celery tasks, console email."""

from .base import *  # noqa: F403
from .base import SECRET_KEY, VAR_DIR

DEBUG = True
# The demo key only protects sessions of the local demo; production refuses it.
SECRET_KEY = SECRET_KEY or "policyhub-demo-only-not-for-production"
VAR_DIR.mkdir(parents=True, exist_ok=True)
