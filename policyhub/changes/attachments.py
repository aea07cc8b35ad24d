"""Checks on uploaded attachments: size, extension allow-list and content.

The extension must be allowed and the first bytes must match it, so a
renamed executable or archive is rejected whatever name it carries.
"""

import hashlib
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

# Extension -> MIME types that filetype may report for genuine content.
BINARY_TYPES = {
    "pdf": {"application/pdf"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "docx": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    },
    "xlsx": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
    },
}
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
SNIFF_BYTES = 8192


def check_attachment(upload):
    """Validate ``upload``; return (content type, SHA-256 hex digest).

    Raise ValidationError naming the file and the problem: too large, an
    extension outside CHANGES_ATTACHMENT_EXTENSIONS, or content that does not
    match the extension. Text files must be UTF-8 without NUL bytes.
    """
    name = upload.name
    limit = settings.CHANGES_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"{name} is {upload.size:,} bytes; the limit is {limit:,} bytes. "
            "Attach a smaller file or split it."
        )
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed = [ext.lower() for ext in settings.CHANGES_ATTACHMENT_EXTENSIONS]
    if extension not in allowed:
        raise ValidationError(
            f"{name} has the extension {extension or '(none)'!r}, which is not allowed; "
            f"attach one of: {', '.join(allowed)}."
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = _sniff(name, extension, head)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if extension in TEXT_TYPES:
        _check_text(name, upload)
    return content_type, digest.hexdigest()


def _sniff(name, extension, head):
    guessed = filetype.guess(head)
    if extension in TEXT_TYPES:
        if guessed is not None or b"\x00" in head:
            found = guessed.mime if guessed else "binary data"
            raise ValidationError(
                f"{name} is named .{extension} but contains {found}; attach a plain text file."
            )
        return TEXT_TYPES[extension]
    expected = BINARY_TYPES.get(extension)
    if expected is None:
        raise ValidationError(
            f"{name}: PolicyHub cannot check the content of .{extension} files; "
            "remove the extension from CHANGES_ATTACHMENT_EXTENSIONS or convert the file."
        )
    if guessed is None or guessed.mime not in expected:
        found = guessed.mime if guessed else "unrecognised content"
        raise ValidationError(
            f"{name} is named .{extension} but contains {found}; attach a genuine "
            f".{extension} file."
        )
    return guessed.mime


def _check_text(name, upload):
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                raise UnicodeDecodeError("utf-8", chunk, 0, 1, "NUL byte")
        upload.seek(0)
        upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            f"{name} is not UTF-8 text; save it as UTF-8 and attach it again."
        ) from None
    finally:
        upload.seek(0)
