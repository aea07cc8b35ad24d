import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from .keys import validate_key_request
from .scopes import SCOPE_CHOICES


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, such as the HR system.")
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        help_text="The key acts as this user, with no more than the user's own permissions.",
    )
    scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At most 365 days ahead, or 90 days for the administrative scope.",
    )

    def clean(self):
        cleaned = super().clean()
        scopes, expires_on = cleaned.get("scopes"), cleaned.get("expires_on")
        if scopes and expires_on:
            end_of_day = datetime.datetime.combine(
                expires_on, datetime.time(23, 59, 59), tzinfo=datetime.UTC
            )
            try:
                validate_key_request(scopes, end_of_day)
            except ValidationError as error:
                self.add_error("expires_on", error)
            cleaned["expires_at"] = end_of_day
        return cleaned

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value <= timezone.now().date():
            raise ValidationError(f"{value.isoformat()} is not in the future; choose a later date.")
        return value
