import uuid

from django import forms
from django.utils import timezone

from ..attestations.models import Campaign
from ..policies.models import PolicyPage
from ..training.models import TrainingModulePage

MAX_PERIOD_DAYS = 3 * 366


class EvidencePackForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    period_start = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD."},
    )
    period_end = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
    )
    policies = forms.ModelMultipleChoiceField(
        label="Policies", required=False, to_field_name="slug",
        queryset=PolicyPage.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to include every policy.",
    )
    campaigns = forms.ModelMultipleChoiceField(
        label="Attestation campaigns", required=False,
        queryset=Campaign.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to include every campaign that ran in the period.",
    )
    training_modules = forms.ModelMultipleChoiceField(
        label="Training modules", required=False,
        queryset=TrainingModulePage.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to include every module assigned to anyone.",
    )
    include_audit = forms.BooleanField(
        label="Include the audit trail extract", required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policies"].queryset = PolicyPage.objects.filter(
            versions__isnull=False
        ).distinct().order_by("title")
        self.fields["campaigns"].queryset = Campaign.objects.filter(
            launched_at__isnull=False
        ).order_by("-launched_at", "pk")
        self.fields["training_modules"].queryset = TrainingModulePage.objects.order_by("title")
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("token", uuid.uuid4())
            self.initial.setdefault("period_end", today)
            self.initial.setdefault("period_start", today.replace(month=1, day=1))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end:
            if start > end:
                raise forms.ValidationError(
                    f"The period starts ({start:%Y-%m-%d}) after it ends ({end:%Y-%m-%d}); "
                    "swap the dates."
                )
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    f"The period covers {(end - start).days} days; request at most "
                    f"{MAX_PERIOD_DAYS} days per pack."
                )
            if end > timezone.localdate():
                raise forms.ValidationError(f"{end:%Y-%m-%d} is in the future; end the period today or earlier.")
        return cleaned
