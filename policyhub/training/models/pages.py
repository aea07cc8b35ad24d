"""Wagtail pages for training modules.

The training index sits under the Wagtail root, outside the policy site, so
editors manage modules in the admin and people take them through the portal
views under ``/training/``.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page

from ..blocks import LessonBlock, QuestionBlock


class TrainingIndexPage(Page):
    """The parent of every training module."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["training.TrainingModulePage"]
    max_count = 1

    def serve(self, request, *args, **kwargs):
        return redirect("training:mine")


class TrainingModulePage(Page):
    """A training module: lessons, a quiz drawn from a question pool, and
    how long a completion stays valid."""

    summary = models.TextField(help_text="One or two sentences on what the module teaches.")
    estimated_minutes = models.PositiveSmallIntegerField(
        default=20, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="Estimated time to finish the lessons and the quiz, in minutes.",
    )
    validity_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A completion is valid this many months; then the training is due again.",
    )
    lessons = StreamField([("lesson", LessonBlock())], use_json_field=True)
    questions = StreamField(
        [("question", QuestionBlock())], use_json_field=True,
        help_text="The question pool; each attempt draws 'questions per attempt' of them.",
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)],
        help_text="Questions drawn at random from the pool for each attempt.",
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Lowest score, in per cent of the questions drawn, that passes.",
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Attempts allowed per training cycle; failing the last one "
        "flags the assignment for the line manager.",
    )

    seed_sha256 = models.CharField(
        max_length=64, blank=True, editable=False,
        help_text="SHA-256 of the seed file the module was loaded from, for idempotent seeding.",
    )

    parent_page_types = ["training.TrainingIndexPage"]
    subpage_types = []

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("estimated_minutes"),
        FieldPanel("validity_months"),
        FieldPanel("lessons"),
        MultiFieldPanel(
            [
                FieldPanel("questions"),
                FieldPanel("questions_per_attempt"),
                FieldPanel("pass_mark_percent"),
                FieldPanel("max_attempts"),
            ],
            heading="Quiz",
        ),
        InlinePanel("policy_links", heading="Policies this module teaches", label="Policy"),
    ]

    class Meta:
        verbose_name = "training module"

    def clean(self):
        super().clean()
        pool = len(self.questions or [])
        if self.questions_per_attempt and pool and self.questions_per_attempt > pool:
            raise ValidationError({
                "questions_per_attempt": f"{self.questions_per_attempt} questions per "
                f"attempt is more than the {pool} in the pool; add questions or draw fewer."
            })

    def serve(self, request, *args, **kwargs):
        return redirect(self.portal_url)

    @property
    def portal_url(self):
        return reverse("training:module", args=[self.slug])

    def lesson_ids(self):
        return [block.id for block in self.lessons]

    def questions_by_id(self):
        return {block.id: block.value for block in self.questions}


class TrainingModulePolicy(Orderable):
    """A policy the module teaches; optionally, training the policy requires
    before anyone can acknowledge it."""

    module = ParentalKey(TrainingModulePage, on_delete=models.CASCADE, related_name="policy_links")
    policy = models.ForeignKey(
        "policies.PolicyPage", on_delete=models.CASCADE, related_name="training_links"
    )
    required_for_acknowledgement = models.BooleanField(
        default=False,
        help_text="People must hold a valid completion of this module before "
        "they can acknowledge the policy.",
    )

    panels = [FieldPanel("policy"), FieldPanel("required_for_acknowledgement")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["module", "policy"], name="training_one_link_per_policy")
        ]
