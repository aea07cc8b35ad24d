from django.contrib.auth.models import AbstractUser
from django.db import models
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who signs in to PolicyHub with an email address."""

    email = models.EmailField("email address", unique=True)
    job_title = models.CharField(max_length=150, blank=True)
    department = models.CharField(
        max_length=150, blank=True, db_index=True,
        help_text="Organisational unit, used for campaign audiences and reporting.",
    )
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="reports",
        help_text="Line manager, who receives escalations of overdue attestations.",
    )
    employee_number = models.CharField(
        max_length=50, null=True, blank=True, unique=True,
        help_text="HR identifier used by imports; unique when set.",
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email
