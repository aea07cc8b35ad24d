"""Encrypt the TOTP secrets and recovery code seeds that allauth stored in clear.

From this migration on, ``EncryptingMFAAdapter`` encrypts them as allauth
writes them. Values that are already tokens are left alone.
"""

from django.db import migrations

from policyhub.privacy import keys

ENCRYPTED_DATA_KEYS = {"totp": ("secret",), "recovery_codes": ("seed", "migrated_codes")}


def _encrypt(value):
    return value if keys.is_token(value) else keys.encrypt(value)


def encrypt_secrets(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=ENCRYPTED_DATA_KEYS):
        data = dict(authenticator.data)
        for name in ENCRYPTED_DATA_KEYS[authenticator.type]:
            value = data.get(name)
            if isinstance(value, list):
                data[name] = [_encrypt(item) for item in value]
            elif value:
                data[name] = _encrypt(value)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_historicaluser_employee_number_hash_and_more"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, migrations.RunPython.noop)]
