"""Session bookkeeping: sign-in time, last activity and ending sessions."""

import logging

from allauth.usersessions.models import UserSession

logger = logging.getLogger(__name__)

AUTHENTICATED_AT = "policyhub.authenticated_at"
LAST_SEEN_AT = "policyhub.last_seen_at"
PASSWORD_EXPIRED = "policyhub.password_expired"  # noqa: S105 - a session key
MFA_ENROLMENT_REQUIRED = "policyhub.mfa_enrolment_required"


def end_user_sessions(user):
    """Delete every server-side session of ``user``; return how many ended.

    allauth.usersessions records each session at sign-in, so this reaches
    sessions on every device. A session whose cookie is presented again is
    then anonymous.
    """
    # Not purge_and_list: it forgets a deactivated user's sessions without
    # deleting them from the session store.
    sessions = list(UserSession.objects.filter(user_id=user.pk))
    for session in sessions:
        session.end()
    if sessions:
        logger.info("Ended %d sessions of user %s", len(sessions), user.pk)
    return len(sessions)
