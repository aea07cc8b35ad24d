"""Who is acting right now: the current request, or the task or command.

Model signals (group membership, permission and configuration changes) carry
no request, so the request middleware and the Celery task signals store the
acting request or task here, and the receivers read it back.
"""

import sys
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.functional import empty

current_request = ContextVar("policyhub_current_request", default=None)
current_system_actor = ContextVar("policyhub_current_system_actor", default="")


@contextmanager
def acting_as(system_actor):
    """Attribute audit events recorded inside the block to ``system_actor``."""
    token = current_system_actor.set(system_actor)
    try:
        yield
    finally:
        current_system_actor.reset(token)


def loaded_user(request):
    """Return the request's user if authentication already loaded it, else None.

    Reading ``request.user`` before that would run a database query, which a
    logging filter must never trigger.
    """
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", None)
    if user is None or wrapped is empty:
        return None
    return user if getattr(user, "is_authenticated", False) else None


def attribution():
    """Return ``record_event`` keyword arguments naming who is acting now.

    Inside a request: the signed-in user and the request. Inside a Celery
    task or an ``acting_as`` block: that label. Otherwise the management
    command that runs, or ``system:unattributed`` when none can be named.
    """
    request = current_request.get()
    if request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        return {"actor": actor, "request": request}
    label = current_system_actor.get()
    if not label:
        label = _command_label()
    return {"system_actor": label}


def _command_label():
    program = sys.argv[0].rsplit("/", 1)[-1] if sys.argv else ""
    if program == "manage.py" and len(sys.argv) > 1:
        return f"command:{sys.argv[1]}"
    return "system:unattributed"
