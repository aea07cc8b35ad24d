from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ..privacy.fields import EncryptedTextField, KeyedHashField


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
    # Stored encrypted; imports and searches match on employee_number_hash.
    employee_number = EncryptedTextField(
        null=True, blank=True, max_plaintext_length=50,
        help_text="HR identifier used by imports; unique when set.",
    )
    employee_number_hash = KeyedHashField(
        source="employee_number", null=True, blank=True, unique=True,
    )
    deactivated_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the account was last deactivated; retention counts from it.",
    )
    anonymised_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When personal details were replaced by a pseudonym.",
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, update_fields=None, **kwargs):
        # The lookup hash is written whenever the employee number is, and the
        # deactivation time whenever the active flag is.
        if self.is_active:
            self.deactivated_at = None
        elif self.deactivated_at is None:
            self.deactivated_at = timezone.now()
        if update_fields is not None:
            update_fields = set(update_fields)
            if "employee_number" in update_fields:
                update_fields.add("employee_number_hash")
            if "is_active" in update_fields:
                update_fields.add("deactivated_at")
        super().save(*args, update_fields=update_fields, **kwargs)
