"""Encrypt the client address of audit events, outside the hash chain.

New events (chain version 2) hash a keyed digest of the address instead of
the address, so its encrypted form can be re-encrypted under a new key or
erased when a leaver is anonymised, and the chain still verifies. Existing
events keep chain version 1: their hash covers the plain address, so the
verifier decrypts it, and anonymisation leaves their address in place until
the audit retention purge removes them.

On PostgreSQL the append-only trigger now lets one kind of UPDATE through:
in a transaction that set ``policyhub.field_reencrypt`` to ``on``, a change
of ``ip_address`` and nothing else. UPDATE of any other column, and DELETE
outside a retention purge, are still rejected.
"""

from django.db import migrations, models

import policyhub.privacy.fields
from policyhub.privacy.migration_operations import encrypt_columns, inet_to_text

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('policyhub.audit_purge', true) = 'on'
       AND OLD.id <= (SELECT max(purged_last_id) FROM audit_auditcheckpoint
                      WHERE kind = 'purge') THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
       AND current_setting('policyhub.field_reencrypt', true) = 'on'
       AND (to_jsonb(NEW) - 'ip_address') = (to_jsonb(OLD) - 'ip_address') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
PREVIOUS_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('policyhub.audit_purge', true) = 'on'
       AND OLD.id <= (SELECT max(purged_last_id) FROM audit_auditcheckpoint
                      WHERE kind = 'purge') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def install_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_FUNCTION, params=None)


def restore_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS_GUARD_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_purge_trigger_and_security_team"),
    ]

    operations = [
        # Existing rows get version 1, new rows version 2. Adding a column
        # with a default fires no row trigger.
        migrations.AddField(
            model_name="auditevent",
            name="chain_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="chain_version",
            field=models.PositiveSmallIntegerField(
                default=2,
                help_text="1: the hash covers the plain address (events recorded before "
                "addresses were encrypted); 2: it covers ip_address_digest.",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="ip_address_digest",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="HMAC-SHA256 of the address under POLICYHUB_FIELD_HASH_KEY.",
                max_length=64,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="ip_address",
                    field=policyhub.privacy.fields.EncryptedTextField(
                        blank=True, max_plaintext_length=45, null=True
                    ),
                ),
            ],
            database_operations=[inet_to_text("audit_auditevent", "ip_address")],
        ),
        migrations.RunPython(install_guard, restore_guard),
        encrypt_columns("audit_auditevent", ["ip_address"]),
    ]
