import uuid

from django import forms
from django.utils import timezone

from ..changes.risk import Rating
from .models import State
from .services import latest_end_date


class ExceptionRequestForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    statements = forms.CharField(
        max_length=200, label="Statements",
        help_text="Ids of the statements you need to deviate from, separated by commas, e.g. AC-11, AC-12.",
    )
    scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                            help_text="The systems or people the exception covers.")
    business_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    impact = forms.ChoiceField(choices=Rating.choices, help_text="Impact if the risk materialises.")
    likelihood = forms.ChoiceField(choices=Rating.choices)
    compensating_controls = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    end_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].help_text = (
            f"At most {latest_end_date():%d %b %Y}; renew later if the exception is still needed."
        )
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())
            self.initial.setdefault("end_date", timezone.localdate() + timezone.timedelta(days=90))

    def clean_statements(self):
        raw = self.cleaned_data["statements"]
        ids = [part.strip().upper() for part in raw.replace(";", ",").split(",") if part.strip()]
        if not ids:
            raise forms.ValidationError("Name at least one statement id, e.g. AC-11.")
        return ids


class DecisionForm(forms.Form):
    role = forms.ChoiceField(choices=[])
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000,
                              help_text="Required when rejecting.")

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class RegisterFilterForm(forms.Form):
    policy = forms.CharField(required=False, max_length=100)
    risk = forms.ChoiceField(required=False, choices=[("", "Any risk"), ("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")])
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *State.choices])
    expires_before = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                     error_messages={"invalid": "Enter the date as YYYY-MM-DD."})
