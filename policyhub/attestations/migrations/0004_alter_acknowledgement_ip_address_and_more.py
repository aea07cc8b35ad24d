"""Encrypt the address and browser recorded with each acknowledgement."""

from django.db import migrations

import policyhub.privacy.fields
from policyhub.privacy.migration_operations import encrypt_columns, inet_to_text


class Migration(migrations.Migration):
    dependencies = [
        ("attestations", "0003_campaigns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="acknowledgement",
                    name="ip_address",
                    field=policyhub.privacy.fields.EncryptedTextField(
                        blank=True, max_plaintext_length=45, null=True
                    ),
                ),
            ],
            database_operations=[inet_to_text("attestations_acknowledgement", "ip_address")],
        ),
        migrations.AlterField(
            model_name="acknowledgement",
            name="user_agent",
            field=policyhub.privacy.fields.EncryptedTextField(blank=True, max_plaintext_length=512),
        ),
        encrypt_columns("attestations_acknowledgement", ["ip_address", "user_agent"]),
    ]
