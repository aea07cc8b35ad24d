"""Managed lists that change requests refer to, edited in the Wagtail admin."""

from django.db import models
from simple_history.models import HistoricalRecords

from ..risk import Rating


class System(models.Model):
    """A system or service that a change can affect."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=150, blank=True, help_text="Owning team or role.")
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ChangeCategory(models.Model):
    """The kind of work a change is, such as a software release or a network change."""

    name = models.CharField(max_length=100, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "change categories"

    def __str__(self):
        return self.name


class StandardChangeTemplate(models.Model):
    """A pre-approved, low-risk, repeatable change that skips the CAB review.

    Requests made from a template copy its plans and ratings, so every
    standard change follows the procedure that the CAB approved as a class.
    """

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField()
    category = models.ForeignKey(ChangeCategory, on_delete=models.PROTECT, null=True, blank=True)
    systems = models.ManyToManyField(System, blank=True)
    impact = models.CharField(max_length=10, choices=Rating.choices, default=Rating.LOW)
    likelihood = models.CharField(max_length=10, choices=Rating.choices, default=Rating.LOW)
    implementation_plan = models.TextField()
    rollback_plan = models.TextField()
    test_plan = models.TextField()
    approved_on = models.DateField(help_text="Date the CAB approved this template as a class.")
    active = models.BooleanField(default=True)

    history = HistoricalRecords(m2m_fields=[systems])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
