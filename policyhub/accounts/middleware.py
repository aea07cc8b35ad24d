"""Middleware that enforces session timeouts and actions required after sign-in."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from ..audit.services import record_event
from .mfa import mfa_enrolled
from .passwords import SET_BY_ADMINISTRATOR
from .sessions import AUTHENTICATED_AT, LAST_SEEN_AT, MFA_ENROLMENT_REQUIRED, PASSWORD_EXPIRED


class SessionTimeoutMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT_SECONDS without a request, or
    SESSION_COOKIE_AGE seconds after sign-in whatever the activity.

    Both times live in the session on the server, so a client cannot extend
    them. Last activity is written at most every
    SESSION_ACTIVITY_RESOLUTION_SECONDS, which is the precision of the idle
    timeout.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._check(request)
            if expired:
                record_event(
                    "auth.session_expired", actor=user, obj=user, request=request,
                    detail={"timeout": expired},
                )
                logout(request)
                messages.info(request, "Your session has ended. Please sign in again.")
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = time.time()
        authenticated_at = session.get(AUTHENTICATED_AT)
        last_seen_at = session.get(LAST_SEEN_AT)
        if authenticated_at is None or last_seen_at is None:
            # A session signed in before these keys existed starts counting now.
            session[AUTHENTICATED_AT] = authenticated_at or now
            session[LAST_SEEN_AT] = now
            return ""
        if now - authenticated_at >= settings.SESSION_COOKIE_AGE:
            return "absolute"
        if now - last_seen_at >= settings.SESSION_IDLE_TIMEOUT_SECONDS:
            return "idle"
        if now - last_seen_at >= settings.SESSION_ACTIVITY_RESOLUTION_SECONDS:
            session[LAST_SEEN_AT] = now
        return ""


EXPIRED_MESSAGE = "Your password has expired. Choose a new password to continue."
PASSWORD_CHANGE_MESSAGES = {
    SET_BY_ADMINISTRATOR: "An administrator set your password. Choose a new password "
    "that only you know to continue.",
}

# Pages a user may still open while a password change or MFA enrolment is due.
ALLOWED_URL_NAMES = {
    "account_logout",
    "account_change_password",
    "account_set_password",
    "account_reauthenticate",
    "account_login",
}


def _is_allowed(request):
    path = request.path_info
    if path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name in ALLOWED_URL_NAMES or (match.url_name or "").startswith("mfa_")


class RequiredActionsMiddleware:
    """Send a signed-in user to the password change or MFA enrolment page
    while either is due, and allow nothing else but signing out.

    The flags are set in the session at sign-in (see ``receivers``) and
    cleared when the user changes the password or adds an authenticator.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or _is_allowed(request):
            return self.get_response(request)
        reason = request.session.get(PASSWORD_EXPIRED)
        if reason:
            messages.warning(request, PASSWORD_CHANGE_MESSAGES.get(reason, EXPIRED_MESSAGE))
            return redirect("account_change_password")
        if request.session.get(MFA_ENROLMENT_REQUIRED) and not self._enrolled_now(request):
            messages.warning(
                request,
                "Your role needs two-factor authentication. Set up an "
                "authenticator app or a security key to continue.",
            )
            return redirect("mfa_index")
        return self.get_response(request)

    def _enrolled_now(self, request):
        # allauth announces a new authenticator only after its transaction
        # commits, and the user may have enrolled in another session, so
        # the flag is checked against the database before blocking.
        if mfa_enrolled(request.user):
            request.session[MFA_ENROLMENT_REQUIRED] = False
            return True
        return False
