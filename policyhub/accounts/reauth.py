"""Recent authentication before sensitive actions such as approving a policy."""

import time

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from simple_history.models import HistoricalRecords

STRONG_METHODS = {"password", "mfa"}


def authenticated_recently(request):
    """Return whether the session's user entered a password or an MFA code
    within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds, at sign-in or since."""
    records = get_authentication_records(request, request.user)
    window = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
    now = time.time()
    return any(
        record.get("method") in STRONG_METHODS and now - record.get("at", 0) < window
        for record in records
    )


def current_request():
    """Return the web request being handled, or None outside a request.

    django-simple-history's HistoryRequestMiddleware keeps the request in a
    context variable for the length of each request.
    """
    return getattr(HistoricalRecords.context, "request", None)


def require_recent_authentication(user):
    """Raise ReauthenticationRequired unless ``user`` authenticated recently.

    allauth's AccountMiddleware turns the exception into a redirect to the
    password (or MFA) prompt and replays the original request afterwards.
    Actions run outside a web request, by management commands or Celery
    tasks, carry no session and are not checked here.
    """
    request = current_request()
    if request is None or getattr(request, "user", None) != user:
        return
    if not authenticated_recently(request):
        raise ReauthenticationRequired()
