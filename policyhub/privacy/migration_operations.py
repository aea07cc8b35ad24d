"""Steps that migrations use to move plain-text columns to encrypted ones.

They use raw SQL, because the historical models of a migration already
decrypt on load and would reject the plain text still in the column.
"""

from django.db import migrations

from . import keys

# Set for the current transaction by code that may rewrite the encrypted
# columns of append-only audit events; see audit migration 0005.
REENCRYPT_SETTING = "policyhub.field_reencrypt"


def inet_to_text(table, column):
    """Return an operation that turns a PostgreSQL ``inet`` column into ``text``.

    ``host()`` keeps the address as it was recorded ("192.0.2.1", not
    "192.0.2.1/32"), which matters to audit events that hashed it. SQLite
    stores any text in the old column type, so it needs no change.
    """

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE text USING host("{column}")'
        )

    return migrations.RunPython(forwards, migrations.RunPython.noop)


def encrypt_columns(table, columns, hashes=None, pk="id"):
    """Return an operation that encrypts the plain text in ``columns`` of ``table``.

    ``hashes`` maps a column to the column that receives its keyed hash.
    Values that are already tokens are left alone, so the step can run again.
    """
    hashes = hashes or {}

    def forwards(apps, schema_editor):
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        selected = ", ".join(quote(column) for column in columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
            # Table and column names are constants of the migrations, quoted.
            cursor.execute(
                f"SELECT {quote(pk)}, {selected} FROM {quote(table)} ORDER BY {quote(pk)}"  # noqa: S608
            )
            rows = cursor.fetchall()
            for row_id, *values in rows:
                changes = {}
                for column, value in zip(columns, values, strict=True):
                    if not value or keys.is_token(value):
                        continue
                    changes[column] = keys.encrypt(value)
                    if column in hashes:
                        changes[hashes[column]] = keys.keyed_hash(value.strip())
                if changes:
                    assignments = ", ".join(f"{quote(name)} = %s" for name in changes)
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608
                        [*changes.values(), row_id],
                    )
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [REENCRYPT_SETTING])

    return migrations.RunPython(forwards, migrations.RunPython.noop)
