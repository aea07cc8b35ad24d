"""Re-encrypt every encrypted value under the newest field key, in batches.

Each batch commits on its own and values already under the newest key are
skipped, so an interrupted run can simply be started again, and a second run
changes nothing. The application keeps working throughout, because every
configured key decrypts.
"""

import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction

from . import keys
from .fields import EncryptedTextField
from .migration_operations import REENCRYPT_SETTING

logger = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 500


@dataclass
class RotationCounts:
    """Values examined, re-encrypted and already current, per table."""

    rotated: int = 0
    current: int = 0
    tables: dict = field(default_factory=dict)

    def add(self, table, rotated, current):
        entry = self.tables.setdefault(table, {"rotated": 0, "current": 0})
        entry["rotated"] += rotated
        entry["current"] += current
        self.rotated += rotated
        self.current += current


def encrypted_models():
    """Return ``(model, [EncryptedTextField, ...])`` for every table with encrypted columns.

    History tables of django-simple-history are included, because they copy
    the fields of the model they record.
    """
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [
            model_field
            for model_field in model._meta.concrete_fields
            if isinstance(model_field, EncryptedTextField)
        ]
        if columns:
            found.append((model, columns))
    return sorted(found, key=lambda item: item[0]._meta.db_table)


def _allow_audit_reencryption(cursor):
    # The append-only trigger on audit events lets an UPDATE of the encrypted
    # address through only while this transaction-local setting is on.
    if connection.vendor == "postgresql":
        cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])


def _rotate_batch(model, columns, after_pk, batch_size):
    """Re-encrypt one batch of rows after ``after_pk``; return (last pk, rotated, current)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    names = [column.column for column in columns]
    selected = ", ".join(quote(name) for name in names)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rotated = current = 0
    last_pk = None
    with transaction.atomic(), connection.cursor() as cursor:
        _allow_audit_reencryption(cursor)
        # Names come from model metadata and are quoted; values are parameters.
        cursor.execute(
            f"SELECT {pk}, {selected} FROM {table} WHERE {pk} > %s ORDER BY {pk} "  # noqa: S608
            f"LIMIT %s{lock}",
            [after_pk, batch_size],
        )
        for row_pk, *tokens in cursor.fetchall():
            last_pk = row_pk
            changes = {}
            for name, token in zip(names, tokens, strict=True):
                if not token:
                    continue
                if keys.is_current(token):
                    current += 1
                else:
                    changes[name] = keys.reencrypt(token)
            if changes:
                assignments = ", ".join(f"{quote(name)} = %s" for name in changes)
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    [*changes.values(), row_pk],
                )
                rotated += len(changes)
    return last_pk, rotated, current


def rotate_model(model, columns, counts, batch_size=DEFAULT_BATCH_SIZE, progress=None):
    """Re-encrypt ``columns`` of every row of ``model``, one batch per transaction."""
    after_pk = 0
    while True:
        last_pk, rotated, current = _rotate_batch(model, columns, after_pk, batch_size)
        if last_pk is None:
            return
        counts.add(model._meta.db_table, rotated, current)
        if progress:
            progress(model._meta.db_table, last_pk, rotated, current)
        after_pk = last_pk


def _reencrypt_data_value(value):
    if isinstance(value, list):
        return [_reencrypt_data_value(item) for item in value]
    if not value or keys.is_current(value):
        return value
    return keys.reencrypt(value)


def rotate_mfa_secrets(counts, batch_size=DEFAULT_BATCH_SIZE):
    """Re-encrypt the TOTP secrets and recovery code seeds in ``Authenticator.data``."""
    from allauth.mfa.models import Authenticator

    from ..accounts.mfa import ENCRYPTED_DATA_KEYS

    after_pk = 0
    while True:
        rotated = current = 0
        with transaction.atomic():
            batch = list(
                Authenticator.objects.select_for_update()
                .filter(pk__gt=after_pk, type__in=list(ENCRYPTED_DATA_KEYS))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return
            for authenticator in batch:
                data = dict(authenticator.data)
                for name in ENCRYPTED_DATA_KEYS[authenticator.type]:
                    if name in data:
                        data[name] = _reencrypt_data_value(data[name])
                if data != authenticator.data:
                    authenticator.data = data
                    authenticator.save(update_fields=["data"])
                    rotated += 1
                else:
                    current += 1
        counts.add(Authenticator._meta.db_table, rotated, current)
        after_pk = batch[-1].pk


def rotate_all(batch_size=DEFAULT_BATCH_SIZE, progress=None):
    """Re-encrypt every encrypted value under the newest key; return the counts."""
    counts = RotationCounts()
    for model, columns in encrypted_models():
        rotate_model(model, columns, counts, batch_size, progress)
    rotate_mfa_secrets(counts, batch_size)
    logger.info("Field key rotation re-encrypted %s values", counts.rotated)
    return counts
