"""Password validators that Django and django-password-validators lack."""

import re

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

# Digits, punctuation and spaces that people add around a common word to pass
# complexity rules, as in "Password123!" or "!!Summer2024".
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class CommonPasswordVariantValidator(CommonPasswordValidator):
    """Reject a common password, also when digits or symbols merely pad it.

    ``password_list_path`` names a gzip or plain file with one password a line,
    so the IAM team's own list can replace Django's list of 20,000.
    """

    def validate(self, password, user=None):
        candidates = {password.lower().strip()}
        core = _DECORATION.sub("", password.lower().strip())
        if len(core) >= 4:
            candidates.add(core)
        if candidates & self.passwords:
            raise ValidationError(
                "This password is too common, or a common password with digits "
                "or symbols added. Choose a phrase that others would not guess.",
                code="password_too_common",
            )
