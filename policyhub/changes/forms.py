from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from ..policies.models import PolicyVersion
from .attachments import check_attachment
from .models import ChangeRequest, ChangeType, CloseCode, State, System
from .models.cab import VoteDecision
from .risk import RiskLevel

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
PLAN_FIELDS = ("implementation_plan", "rollback_plan", "test_plan")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class ChangeRequestForm(forms.ModelForm):
    """The requester's form; views pass the result to the services."""

    class Meta:
        model = ChangeRequest
        fields = [
            "title", "change_type", "template", "description", "justification",
            "systems", "policy_versions", "category", "impact", "likelihood",
            "implementation_plan", "rollback_plan", "test_plan",
            "planned_start", "planned_end", "implementer",
        ]
        widgets = {
            "systems": forms.CheckboxSelectMultiple,
            "policy_versions": forms.CheckboxSelectMultiple,
            "planned_start": DateTimeLocalInput(),
            "planned_end": DateTimeLocalInput(),
            "change_type": forms.RadioSelect,
        }
        help_texts = {
            "implementation_plan": "Steps in order. A standard change takes its template's plan.",
            "planned_start": "Local time, for example 2026-12-12 22:00.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["systems"].queryset = System.objects.filter(active=True)
        self.fields["systems"].required = False
        self.fields["policy_versions"].queryset = PolicyVersion.objects.select_related("policy")
        self.fields["template"].queryset = self.fields["template"].queryset.filter(active=True)
        self.fields["implementer"].queryset = get_user_model().objects.filter(is_active=True)
        for name in PLAN_FIELDS + ("impact", "likelihood"):
            self.fields[name].required = False
        for name in ("planned_start", "planned_end"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", f"The planned end {end:%Y-%m-%d %H:%M} must be after "
                                          f"the planned start {start:%Y-%m-%d %H:%M}.")
        if data.get("change_type") == ChangeType.STANDARD:
            if not data.get("template"):
                self.add_error("template", "A standard change needs a template; choose one.")
            return data
        for name in PLAN_FIELDS + ("impact", "likelihood"):
            if not data.get(name):
                label = self.fields[name].label
                self.add_error(name, f"{label} is required for normal and emergency changes.")
        if not data.get("systems"):
            self.add_error("systems", "Choose at least one affected system.")
        return data

    def service_fields(self):
        """Return the scalar fields for ``create_change``/``update_change``."""
        data = dict(self.cleaned_data)
        data.pop("systems", None)
        data.pop("policy_versions", None)
        if data.get("change_type") == ChangeType.STANDARD:
            for name in PLAN_FIELDS + ("impact", "likelihood"):
                data.pop(name, None)
        return data


class CloseForm(forms.Form):
    code = forms.ChoiceField(label="Close code", choices=CloseCode.choices)
    notes = forms.CharField(label="Closing notes", widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="What was done, what was learnt, and any follow-up.")


class VoteForm(forms.Form):
    decision = forms.ChoiceField(choices=VoteDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="The reason for your decision.")
    member = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label="Vote for",
        help_text="Yourself, or a member who delegated their vote to you.",
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = get_user_model().objects.filter(
            pk__in=[member.pk for member in members]
        )
        if len(members) == 1:
            self.fields["member"].initial = members[0].pk
            self.fields["member"].widget = forms.HiddenInput()


class AttachmentForm(forms.Form):
    file = forms.FileField(help_text="PDF, image, text, CSV, Word or Excel file.")
    description = forms.CharField(max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.content_type, self.sha256 = check_attachment(upload)
        return upload


class AssignImplementerForm(forms.Form):
    implementer = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True))


class ChangeFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state")] + State.choices, required=False)
    risk = forms.ChoiceField(choices=[("", "Any risk")] + RiskLevel.choices, required=False)
    system = forms.ModelChoiceField(queryset=System.objects.all(), required=False,
                                    empty_label="Any system")
    start_from = forms.DateField(label="Planned from", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    start_to = forms.DateField(label="Planned to", required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_from"), data.get("start_to")
        if start and end and end < start:
            raise ValidationError(f"'Planned to' ({end}) is before 'Planned from' ({start}).")
        return data

    def apply(self, queryset):
        data = self.cleaned_data
        if data.get("state"):
            queryset = queryset.filter(state=data["state"])
        if data.get("risk"):
            queryset = queryset.filter(risk=data["risk"])
        if data.get("system"):
            queryset = queryset.filter(systems=data["system"])
        if data.get("start_from"):
            queryset = queryset.filter(planned_start__date__gte=data["start_from"])
        if data.get("start_to"):
            queryset = queryset.filter(planned_start__date__lte=data["start_to"])
        return queryset
