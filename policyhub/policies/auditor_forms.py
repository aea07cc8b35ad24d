import datetime

from django import forms
from django.utils import timezone

EARLIEST_DATE = datetime.date(2000, 1, 1)


class AsOfForm(forms.Form):
    date = forms.DateField(
        label="Date",
        help_text="Shows what was in force at the end of this day (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD, e.g. 2026-06-30."},
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(
                f"{day:%Y-%m-%d} is in the future; choose {today:%Y-%m-%d} or earlier."
            )
        if day < EARLIEST_DATE:
            raise forms.ValidationError(f"Choose a date from {EARLIEST_DATE:%Y-%m-%d} on.")
        return day


class CompareForm(forms.Form):
    """Two version labels of one policy, older first."""

    old = forms.ChoiceField(label="Older version")
    new = forms.ChoiceField(label="Newer version")
    view = forms.ChoiceField(
        label="View", choices=[("inline", "Inline redline"), ("side", "Side by side")],
        initial="inline", required=False,
    )

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(v.label, f"{v.label} ({v.effective_date:%d %b %Y})") for v in versions]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices
        self.versions = {v.label: v for v in versions}

    def clean(self):
        cleaned = super().clean()
        old, new = cleaned.get("old"), cleaned.get("new")
        if old and new:
            older, newer = self.versions[old], self.versions[new]
            if (older.major, older.minor) >= (newer.major, newer.minor):
                raise forms.ValidationError(
                    f"Version {old} is not older than {new}; choose an older version "
                    "first and a newer one second."
                )
            cleaned["older"], cleaned["newer"] = older, newer
        return cleaned
