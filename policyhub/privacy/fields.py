"""Model fields whose values are stored encrypted, and their lookup hashes.

``EncryptedTextField`` holds plain text in Python and an AES-256-GCM token in the
database. Tokens differ on every save, so the database cannot compare them:
lookups other than ``isnull`` raise ``FieldError``, and a field that must be
searched gets a ``KeyedHashField`` beside it.
"""

from django.core.exceptions import FieldError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from . import keys


class EncryptedTextField(models.TextField):
    """Text encrypted with the field keys before it reaches the database.

    ``None`` and the empty string are stored as they are, because they carry
    no personal data and keep "not given" distinguishable.
    """

    description = "Text stored encrypted with the field encryption keys"

    def __init__(self, *args, max_plaintext_length=None, **kwargs):
        self.max_plaintext_length = max_plaintext_length
        super().__init__(*args, **kwargs)
        if max_plaintext_length:
            self.validators.append(MaxLengthValidator(max_plaintext_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.max_plaintext_length:
            kwargs["max_plaintext_length"] = self.max_plaintext_length
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        # A single-line input of the plain text's length, not a text area.
        return models.Field.formfield(self, **{"max_length": self.max_plaintext_length, **kwargs})

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return keys.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return keys.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted, so the database cannot "
            f"run the '{lookup_name}' lookup on it; filter on its keyed hash instead."
        )

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            cls._meta.policyhub_encrypted = True


class KeyedHashField(models.CharField):
    """The keyed hash of another field's normalised value, kept in step with it.

    Assigning to the source field sets this field too (see ``HashedSource``),
    so ``save``, ``bulk_create`` and ``bulk_update`` write both as long as the
    hash field is saved with the source.
    """

    def __init__(self, *args, source, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            source = cls._meta.get_field(self.source)
            setattr(cls, source.attname, HashedSource(source, self.attname))


def normalise(value):
    """Return the form of ``value`` that is hashed: stripped, or None when blank."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def lookup_hash(value):
    """Return the keyed hash to filter on for ``value``, or None when blank."""
    value = normalise(value)
    return None if value is None else keys.keyed_hash(value)


class HashedSource(DeferredAttribute):
    """Descriptor of a source field: setting it also sets its keyed hash."""

    def __init__(self, field, hash_attname):
        super().__init__(field)
        self.hash_attname = hash_attname

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value
        instance.__dict__[self.hash_attname] = lookup_hash(value)
