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
    department = forms.ChoiceField(required=False, label="Department")
    due_date = forms.DateField(
        required=False, label="Due date", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For the people assigned now. Leave empty to use the days below.",
    )
    due_in_days = forms.IntegerField(
        min_value=1, max_value=365, initial=14, label="Days to complete",
        help_text="For people assigned later: new joiners, new members and renewals.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = (
            get_user_model().objects.filter(is_active=True).exclude(department="")
            .order_by("department").values_list("department", flat=True).distinct()
        )
        self.fields["department"].choices = [("", "---------")] + [(n, n) for n in names]

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == TrainingRule.Target.DEPARTMENT and not data.get("department"):
            self.add_error("department", "Choose the department to assign the module to.")
        if target != TrainingRule.Target.DEPARTMENT:
            data["department"] = ""
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


class RuleEditForm(forms.Form):
    due_in_days = forms.IntegerField(
        min_value=1, max_value=365, label="Days to complete",
        help_text="For people assigned from now on and for renewals; open "
        "assignments keep their due dates.",
    )
    reason = forms.CharField(label="Reason for the change", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class RuleRetireForm(forms.Form):
    reason = forms.CharField(
        label="Reason for retiring", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Open assignments no other rule covers are cancelled; completions stay.",
    )


class PhishingExerciseForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    sent_on = forms.DateField(label="Sent on", widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="Format: YYYY-MM-DD.")
    theme = forms.CharField(max_length=200, label="Template or theme",
                            help_text="For example 'Parcel delivery' or 'Password expiry'.")
    followup_module = forms.ModelChoiceField(
        queryset=TrainingModulePage.objects.live().order_by("title"), label="Follow-up module",
        help_text="Assigned to everyone who clicked or submitted credentials.",
    )
    followup_due_in_days = forms.IntegerField(
        min_value=1, max_value=365, initial=14, label="Follow-up due in days",
        help_text="Days from the import of the results.",
    )


class PhishingImportForm(forms.Form):
    results = forms.FileField(
        label="Results file (CSV)",
        help_text="Columns: email, clicked, reported, submitted_credentials; values yes or no.",
    )
