"""Wagtail pages that hold the policy library."""

from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PagePermissionTester

from ..blocks import SectionBlock

# Set only while an approved workflow publishes its revision; any other path
# that tries to make a policy live is rejected in PolicyPage.save().
approved_publish_in_progress = ContextVar("approved_publish_in_progress", default=False)


class Classification(models.TextChoices):
    PUBLIC = "Public"
    INTERNAL = "Internal"
    CONFIDENTIAL = "Confidential"


class PolicyIndexPage(Page):
    """The root of the policy library; lists live policies to signed-in users."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["policies.PolicyPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def serve(self, request, *args, **kwargs):
        from ..views import policy_list

        return policy_list(request, self)

    def get_preview_template(self, request, mode_name, **kwargs):
        return "policies/policy_list_preview.html"


class PolicyPageForm(WagtailAdminPageForm):
    """Require a change declaration whenever an author submits for approval."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "approver_group" in self.fields:
            self.fields["approver_group"].queryset = Group.objects.filter(
                name__in=settings.POLICYHUB_APPROVER_GROUPS
            )
        page = self.instance
        if page.pk and page.live and not page.has_unpublished_changes:
            # The declaration describes the next change, not the published one.
            self.initial["change_summary"] = ""
            self.initial["change_type"] = ""

    def clean(self):
        cleaned = super().clean()
        if "action-submit" not in self.data:
            return cleaned
        if not cleaned.get("change_summary", "").strip():
            self.add_error(
                "change_summary",
                "Describe what changed before submitting for approval.",
            )
        has_version = self.instance.pk and self.instance.versions.exists()
        if has_version and not cleaned.get("change_type"):
            self.add_error(
                "change_type",
                "Declare the change major (everyone must acknowledge again) or "
                "minor (no new acknowledgement) before submitting.",
            )
        return cleaned


class PolicyPermissionTester(PagePermissionTester):
    """Policies go live only through the approval workflow.

    Nobody, superusers included, may publish, unpublish or delete a policy
    directly; copying would create a second page for the same policy.
    """

    def can_publish(self):
        return False

    def can_unpublish(self):
        return False

    def can_delete(self, ignore_bulk=False):
        return False

    def can_copy(self):
        return False

    def can_publish_subpage(self):
        return False


class PolicyPage(Page):
    """A policy document; each approved publication creates a PolicyVersion."""

    summary = models.TextField(help_text="One sentence on what the policy governs.")
    owner_role = models.CharField(
        max_length=150, help_text="Role accountable for the policy, e.g. CISO."
    )
    approver_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        related_name="approved_policies",
        help_text="Group whose members give management approval.",
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.INTERNAL
    )
    annex_a_controls = models.TextField(
        blank=True,
        help_text="ISO/IEC 27001:2022 Annex A controls addressed, one per line.",
    )
    regulatory_references = models.TextField(
        blank=True, help_text="DORA, NYDFS and other references, one per line."
    )
    body = StreamField([("section", SectionBlock())], use_json_field=True)
    change_type = models.CharField(
        max_length=5,
        blank=True,
        choices=[("major", "Major"), ("minor", "Minor")],
        help_text="Major: every reader must acknowledge again. Minor: no new "
        "acknowledgement is required.",
    )
    change_summary = models.TextField(
        blank=True, help_text="What changed in this revision, for the version history."
    )
    reattest_on_major_version = models.BooleanField(
        default=True,
        help_text="Publishing a major version starts a re-attestation campaign for "
        "the policy's audience. A minor version only sends a notice.",
    )
    attestation_interval_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Require acknowledgement again this many months after the last "
        "one, e.g. 12 for annual re-attestation. Leave empty for no repeat.",
    )
    attestation_due_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days people have to acknowledge in an automatic campaign or a "
        "reopened attestation.",
    )
    source_sha256 = models.CharField(
        max_length=64, blank=True, editable=False,
        help_text="SHA-256 of the imported Markdown file, for idempotent imports.",
    )

    base_form_class = PolicyPageForm
    # No scheduled publishing or expiry: a version takes effect when its
    # approval completes, and a live policy is never withdrawn by a timer.
    settings_panels = []
    parent_page_types = ["policies.PolicyIndexPage"]
    subpage_types = ["procedures.ProcedurePage"]

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("owner_role"),
                FieldPanel("approver_group"),
                FieldPanel("review_interval_months"),
                FieldPanel("classification"),
                FieldPanel("annex_a_controls"),
                FieldPanel("regulatory_references"),
            ],
            heading="Governance",
        ),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("reattest_on_major_version"),
                FieldPanel("attestation_interval_months"),
                FieldPanel("attestation_due_days"),
            ],
            heading="Attestation",
        ),
        MultiFieldPanel(
            [FieldPanel("change_type"), FieldPanel("change_summary")],
            heading="Change declaration (required when submitting)",
        ),
    ]

    class Meta:
        verbose_name = "policy"
        verbose_name_plural = "policies"

    def clean(self):
        super().clean()
        if self.approver_group_id and self.approver_group.name not in (
            settings.POLICYHUB_APPROVER_GROUPS
        ):
            raise ValidationError(
                {
                    "approver_group": f"{self.approver_group.name!r} is not an approver "
                    f"group; use one of {', '.join(settings.POLICYHUB_APPROVER_GROUPS)}."
                }
            )
        if self.review_interval_months is not None and not (
            1 <= self.review_interval_months <= 60
        ):
            raise ValidationError(
                {"review_interval_months": "Use a value from 1 to 60 months."}
            )

    def save(self, *args, **kwargs):
        if not approved_publish_in_progress.get() and self._makes_live(kwargs):
            raise PermissionDenied(
                "A policy is published only by completing its approval workflow."
            )
        return super().save(*args, **kwargs)

    def _makes_live(self, save_kwargs):
        """Return whether this save would publish a revision not yet live."""
        update_fields = save_kwargs.get("update_fields")
        if update_fields is not None and not {"live", "live_revision"} & set(
            update_fields
        ):
            return False
        if not self.live:
            return False
        if not self.pk:
            return True
        stored = PolicyPage.objects.filter(pk=self.pk).values_list(
            "live_revision_id", flat=True
        )
        return list(stored) != [self.live_revision_id]

    def permissions_for_user(self, user):
        return PolicyPermissionTester(user, self)

    def get_preview_template(self, request, mode_name, **kwargs):
        return "policies/policy_preview.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        context["sections"] = self.sections()
        return context

    def serve(self, request, *args, **kwargs):
        from ..views import policy_detail

        return policy_detail(request, self)

    @property
    def annex_a_control_list(self):
        return [line.strip() for line in self.annex_a_controls.splitlines() if line.strip()]

    @property
    def regulatory_reference_list(self):
        return [
            line.strip() for line in self.regulatory_references.splitlines() if line.strip()
        ]

    def current_version(self):
        return self.versions.order_by("-major", "-minor").first()

    def sections(self):
        """Return (anchor, heading, html) for each body section, in order.

        Repeated headings get numbered anchors so contents links stay unique.
        """
        from ..blocks import section_anchor
        from ..markdown import render_markdown

        result = []
        seen = {}
        for block in self.body:
            if block.block_type != "section":
                continue
            anchor = section_anchor(block.value["heading"])
            seen[anchor] = seen.get(anchor, 0) + 1
            if seen[anchor] > 1:
                anchor = f"{anchor}-{seen[anchor]}"
            result.append(
                (anchor, block.value["heading"], render_markdown(block.value["content"]))
            )
        return result
