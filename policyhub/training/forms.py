from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .models import TrainingModulePage, TrainingRule


class ExtensionForm(forms.Form):
    new_due_date = forms.DateField(
        label="New due date", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Format: YYYY-MM-DD.",
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=1000)


class RuleForm(forms.Form):
    module = forms.ModelChoiceField(
        queryset=TrainingModulePage.objects.live().order_by("title"), label="Module"
    )
    target = forms.ChoiceField(choices=TrainingRule.Target.choices, label="Assign to")
    group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"), required=False, label="Group or role"
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("email"),
        required=False, label="Person",
    )
    due_date = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For the people assigned now. Leave empty to use the days below.",
    )
    due_in_days = forms.IntegerField(
        min_value=1, max_value=365, initial=14, label="Days to complete",
        help_text="For people assigned later: new joiners, new members and renewals.",
    )

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == TrainingRule.Target.GROUP and not data.get("group"):
            self.add_error("group", "Choose the group or role to assign the module to.")
        if target == TrainingRule.Target.USER and not data.get("user"):
            self.add_error("user", "Choose the person to assign the module to.")
        if target != TrainingRule.Target.GROUP:
            data["group"] = None
        if target != TrainingRule.Target.USER:
            data["user"] = None
        return data


class ReportFilterForm(forms.Form):
    module = forms.ModelChoiceField(
        queryset=TrainingModulePage.objects.order_by("title"), required=False,
        label="Module", empty_label="All modules",
    )
    department = forms.CharField(required=False, label="Department", max_length=150)
    completed_from = forms.DateField(
        required=False, label="Completed from", widget=forms.DateInput(attrs={"type": "date"})
    )
    completed_to = forms.DateField(
        required=False, label="Completed to", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and start > end:
            self.add_error("completed_to", f"{end:%d %b %Y} is before {start:%d %b %Y}; "
                           "choose an end date on or after the start date.")
        return data
