"""Encrypt employee numbers and match them by keyed hash.

The unique constraint moves from the number to its hash, and the existing
numbers of users and of their history rows are encrypted in place.
"""

from django.db import migrations

import policyhub.privacy.fields
from policyhub.privacy.migration_operations import encrypt_columns


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_department_manager_employee_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicaluser",
            name="employee_number",
            field=policyhub.privacy.fields.EncryptedTextField(
                blank=True,
                help_text="HR identifier used by imports; unique when set.",
                max_plaintext_length=50,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="employee_number",
            field=policyhub.privacy.fields.EncryptedTextField(
                blank=True,
                help_text="HR identifier used by imports; unique when set.",
                max_plaintext_length=50,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="historicaluser",
            name="employee_number_hash",
            field=policyhub.privacy.fields.KeyedHashField(
                blank=True,
                db_index=True,
                editable=False,
                max_length=64,
                null=True,
                source="employee_number",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="employee_number_hash",
            field=policyhub.privacy.fields.KeyedHashField(
                blank=True,
                editable=False,
                max_length=64,
                null=True,
                source="employee_number",
                unique=True,
            ),
        ),
        encrypt_columns(
            "accounts_user",
            ["employee_number"],
            hashes={"employee_number": "employee_number_hash"},
        ),
        encrypt_columns(
            "accounts_historicaluser",
            ["employee_number"],
            hashes={"employee_number": "employee_number_hash"},
            pk="history_id",
        ),
    ]
