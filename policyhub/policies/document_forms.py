from django import forms
from django.contrib.auth.models import Group

from .importer import SLUG
from .models import Classification, PolicyPage


class DocumentImportForm(forms.Form):
    """Upload a document as a new policy draft or as a new draft of a policy."""

    document = forms.FileField(help_text="Markdown (.md) or Word (.docx), up to 10 MB.")
    policy = forms.ModelChoiceField(
        queryset=PolicyPage.objects.order_by("title"), required=False,
        empty_label="New policy", help_text="Choose a policy to replace its draft body.",
    )
    change_summary = forms.CharField(
        max_length=500, help_text="What this document changes, for the reviewers."
    )
    title = forms.CharField(max_length=255, required=False, help_text="New policy only.")
    slug = forms.CharField(max_length=100, required=False, help_text="New policy only.")
    summary = forms.CharField(max_length=500, required=False, help_text="New policy only.")
    owner_role = forms.CharField(max_length=150, required=False, help_text="New policy only.")
    approver_group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"), required=False, help_text="New policy only."
    )
    classification = forms.ChoiceField(
        choices=Classification.choices, initial=Classification.INTERNAL, required=False
    )
    review_interval_months = forms.IntegerField(min_value=1, max_value=60, initial=12, required=False)

    NEW_POLICY_FIELDS = ("title", "slug", "summary", "owner_role", "approver_group")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("policy"):
            return cleaned
        for name in self.NEW_POLICY_FIELDS:
            if not cleaned.get(name):
                self.add_error(name, "Required for a new policy.")
        slug = cleaned.get("slug") or ""
        if slug and not SLUG.match(slug):
            self.add_error("slug", f"{slug!r} is not a valid slug; use lower-case letters, digits and hyphens.")
        elif slug and PolicyPage.objects.filter(slug=slug).exists():
            self.add_error("slug", f"A policy with the slug {slug!r} exists; choose it under Policy instead.")
        return cleaned
