"""Admin screen where administrators set each person's reporting line."""

from django import forms
from django.contrib.auth import get_user_model
from wagtail import hooks
from wagtail.admin.views.generic import EditView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from ..privacy.fields import lookup_hash
from .org import set_reporting_line


class ReportingLineForm(forms.ModelForm):
    """Department, employee number, and the manager by email address."""

    manager_email = forms.EmailField(
        required=False, label="Line manager's email address",
        help_text="Leave empty for no line manager.",
    )

    class Meta:
        model = get_user_model()
        fields = ["department", "employee_number"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.manager_id:
            self.initial["manager_email"] = self.instance.manager.email

    def clean_employee_number(self):
        number = (self.cleaned_data["employee_number"] or "").strip() or None
        taken = (
            get_user_model()
            .objects.filter(employee_number_hash=lookup_hash(number))
            .exclude(pk=self.instance.pk)
        )
        if number and taken.exists():
            raise forms.ValidationError(
                f"Another person already has the employee number {number}; "
                "check the number."
            )
        return number

    def clean_manager_email(self):
        email = self.cleaned_data["manager_email"].strip()
        if not email:
            return None
        manager = get_user_model().objects.filter(email__iexact=email).first()
        if manager is None:
            raise forms.ValidationError(
                f"No user has the email address {email}; check it or leave the field empty."
            )
        if manager.pk == self.instance.pk:
            raise forms.ValidationError("A person cannot be their own line manager.")
        return manager


class ReportingLineEditView(EditView):
    def save_instance(self):
        data = self.form.cleaned_data
        return set_reporting_line(
            self.object, department=data["department"], manager=data["manager_email"],
            employee_number=data["employee_number"], actor=self.request.user,
            request=self.request,
        )


class EditOnlyPolicy(ModelPermissionPolicy):
    """People are created and removed in Users; this screen only edits."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete"):
            return False
        return super().user_has_permission(user, action)


class ReportingLineViewSet(ModelViewSet):
    model = get_user_model()
    edit_view_class = ReportingLineEditView
    permission_policy = EditOnlyPolicy(get_user_model())
    icon = "group"
    menu_label = "Reporting lines"
    name = "reporting_lines"
    add_to_admin_menu = True
    list_display = ["__str__", "email", "department", "manager", "employee_number"]
    # employee_number is encrypted, so the database cannot search it.
    search_fields = ["email", "first_name", "last_name", "department"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        return ReportingLineForm


@hooks.register("register_admin_viewset")
def register_reporting_lines():
    return ReportingLineViewSet()
