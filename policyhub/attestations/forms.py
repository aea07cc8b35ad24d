import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils import timezone

from ..privacy.fields import lookup_hash
from .models import Audience


class AcknowledgementForm(forms.Form):
    """The "I have read and understood" form shown under a policy version."""

    content_sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput,
        error_messages={"invalid": "The content fingerprint is malformed; reload the policy."},
    )
    confirm = forms.BooleanField(
        label="I have read and understood this policy.",
        error_messages={
            "required": "Tick the box to confirm you have read and understood the policy."
        },
    )


class CampaignForm(forms.Form):
    """What a compliance admin fills in to launch a campaign."""

    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": "The form expired; reload the page and launch again."},
    )
    name = forms.CharField(max_length=200)
    versions = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Policy versions",
        help_text="The current version of each live policy.",
        error_messages={"required": "Choose at least one policy version."},
    )
    audience = forms.ChoiceField(choices=Audience.choices, widget=forms.RadioSelect)
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple, help_text="For a groups audience.",
    )
    departments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="For a departments audience: one department name per line.",
    )
    people = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        label="People",
        help_text="For a listed-people audience: one email address or employee "
        "number per line.",
    )
    due_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="Format YYYY-MM-DD."
    )
    grace_days = forms.IntegerField(
        min_value=0, max_value=90, initial=0, label="Grace period (days)",
        help_text="Days after the due date before someone counts as overdue.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
        self.fields["versions"].queryset = current_version_choices()
        self.fields["versions"].label_from_instance = lambda v: f"{v.title} {v.label}"

    def clean_departments(self):
        return [line.strip() for line in self.cleaned_data["departments"].splitlines()
                if line.strip()]

    def clean_people(self):
        entries = [line.strip() for line in self.cleaned_data["people"].splitlines()
                   if line.strip()]
        if not entries:
            return []
        User = get_user_model()
        # Employee numbers are stored encrypted and matched by keyed hash.
        hashes = [lookup_hash(entry) for entry in entries]
        found = User.objects.filter(
            Q(email__in=entries) | Q(employee_number_hash__in=hashes), is_active=True
        )
        known = {u.email for u in found} | {u.employee_number for u in found}
        unknown = [entry for entry in entries if entry not in known]
        if unknown:
            raise forms.ValidationError(
                f"No active person has the email address or employee number "
                f"{', '.join(unknown[:10])}; correct or remove these lines."
            )
        return list(found)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError(
                f"The due date {due:%d %b %Y} is in the past; choose today or later."
            )
        return due

    def clean(self):
        cleaned = super().clean()
        audience = cleaned.get("audience")
        needed = {
            Audience.GROUPS: ("groups", "Choose at least one group for a groups audience."),
            Audience.DEPARTMENTS: (
                "departments", "List at least one department for a departments audience."
            ),
            Audience.USERS: ("people", "List at least one person for a listed-people audience."),
        }
        if audience in needed:
            field, message = needed[audience]
            if field not in self.errors and not cleaned.get(field):
                self.add_error(field, message)
        return cleaned


def current_version_choices():
    """Return the current version of every live policy, as a queryset."""
    from ..policies.models import PolicyPage, PolicyVersion
    from .services import current_versions

    current = current_versions(PolicyPage.objects.live())
    return PolicyVersion.objects.filter(
        pk__in=[v.pk for v in current.values()]
    ).order_by("title")


class ExtensionForm(forms.Form):
    """A new due date for one person, with the reason recorded."""

    new_due_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="New due date",
        help_text="Format YYYY-MM-DD; later than the current due date.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
        help_text="Kept on record with your name.",
    )
