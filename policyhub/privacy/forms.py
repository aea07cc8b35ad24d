from django import forms
from django.contrib.auth import get_user_model

from .subject_access import EXPORT_FORMATS


class SubjectAccessForm(forms.Form):
    """Whose data to export, found by email address or user id, and in which format."""

    person = forms.CharField(
        label="Email address or user id",
        max_length=254,
        help_text="The person's current email address, or the number after user: "
        "in audit events (use it for anonymised accounts).",
    )
    export_format = forms.ChoiceField(
        label="Format",
        choices=[("json", "JSON (machine-readable)"), ("pdf", "Signed PDF")],
        initial="json",
    )

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        users = get_user_model().objects
        user = (
            users.filter(pk=int(value)).first()
            if value.isdigit()
            else users.filter(email__iexact=value).first()
        )
        if user is None:
            raise forms.ValidationError(
                f"No account has the email address or user id {value!r}; check it."
            )
        return user

    def clean_export_format(self):
        value = self.cleaned_data["export_format"]
        if value not in EXPORT_FORMATS:
            raise forms.ValidationError(f"{value!r} is not an export format.")
        return value
