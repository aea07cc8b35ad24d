from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone


class EventFilterForm(forms.Form):
    """Filters of the audit viewer; every field is optional."""

    actor = forms.CharField(
        required=False,
        max_length=200,
        help_text="A username, email address, user:<id> or a task label such as "
        "task:audit.write_checkpoint.",
    )
    action = forms.CharField(
        required=False,
        max_length=100,
        help_text="An action such as auth.login, or a prefix ending in a dot, such as access.",
    )
    object_type = forms.CharField(
        required=False,
        max_length=100,
        label="Object type",
        help_text="For example accounts.user or policies.policyversion.",
    )
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    date_from = forms.DateField(
        required=False,
        label="From date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="First day included, YYYY-MM-DD.",
    )
    date_to = forms.DateField(
        required=False,
        label="To date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Last day included, YYYY-MM-DD.",
    )

    def clean_actor(self):
        """Turn a username or email address into the label ``user:<id>``."""
        value = self.cleaned_data["actor"].strip()
        if not value or ":" in value:
            return value
        user = (
            get_user_model()
            .objects.filter(**{"email__iexact" if "@" in value else "username__iexact": value})
            .first()
        )
        if user is None:
            raise forms.ValidationError(
                f"No user {value!r} exists. Enter a username, an email address or a "
                "label such as user:42 or task:audit.write_checkpoint."
            )
        return f"user:{user.pk}"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to",
                f"The to date {end} is before the from date {start}; swap them.",
            )
        return cleaned

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("actor"):
            queryset = queryset.filter(actor_label=data["actor"])
        action = data.get("action", "").strip()
        if action.endswith("."):
            queryset = queryset.filter(action__startswith=action)
        elif action:
            queryset = queryset.filter(action=action)
        if data.get("object_type"):
            queryset = queryset.filter(object_type=data["object_type"].strip())
        if data.get("object_id"):
            queryset = queryset.filter(object_id=data["object_id"].strip())
        if data.get("date_from"):
            queryset = queryset.filter(occurred_at__gte=start_of(data["date_from"]))
        if data.get("date_to"):
            queryset = queryset.filter(
                occurred_at__lt=start_of(data["date_to"] + timedelta(days=1))
            )
        return queryset

    def summary(self):
        """Return the filters in use, for the audit event that records a view."""
        return {
            name: str(value) for name, value in self.cleaned_data.items() if value not in (None, "")
        }


class ExtractForm(EventFilterForm):
    """An extract needs a date range, so its size is known to the reader."""

    def clean(self):
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, "Enter a date; a signed extract covers a date range.")
        return cleaned


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class SignOffForm(forms.Form):
    findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        help_text='What the review found. Write "No findings" if there was nothing to act on.',
    )
    follow_up_actions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        label="Follow-up actions",
        help_text="One action per line, with its owner and due date.",
    )
