"""Checks on uploaded attachments: size, extension allow-list and content.

The extension must be allowed and the first bytes must match it, so a
renamed executable or archive is rejected whatever name it carries. Office
files are ZIP archives, so their members are checked too: the parts a real
document has, no executables or macros, and a bounded unpacked size.
"""

import hashlib
import zipfile
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
# The part every genuine Office Open XML file of that kind holds.
OFFICE_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
# Names that run code when opened; refused as a name part and inside archives.
EXECUTABLE_SUFFIXES = {
    "exe",
    "dll",
    "com",
    "scr",
    "msi",
    "bat",
    "cmd",
    "ps1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "hta",
    "jar",
    "sh",
    "lnk",
    "cpl",
    "pif",
    "reg",
}
MAX_ARCHIVE_MEMBERS = 2000
# A member that unpacks to more than this many times its packed size is a
# compression bomb, not a document.
MAX_COMPRESSION_RATIO = 100


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
    inner = [part.lower().lstrip(".") for part in PurePath(name).suffixes[:-1]]
    hidden = sorted(set(inner) & EXECUTABLE_SUFFIXES)
    if hidden:
        raise ValidationError(
            f"{name} carries the executable extension .{hidden[0]} before .{extension}; "
            "rename the file to what it is, or attach the document it was exported to."
        )
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
    if extension in OFFICE_MAIN_PARTS:
        _check_office_archive(name, extension, upload)
    return content_type, digest.hexdigest()


def _check_office_archive(name, extension, upload):
    """Refuse an Office file that is a bare ZIP, hides code or unpacks too far."""
    limit = settings.CHANGES_ATTACHMENT_MAX_UNPACKED_BYTES
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(
            f"{name} is not a readable .{extension} file; open it in its application, "
            "save it again and attach the saved copy."
        ) from None
    finally:
        upload.seek(0)
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or OFFICE_MAIN_PARTS[extension] not in names:
        raise ValidationError(
            f"{name} is a ZIP archive, not a .{extension} document; attach the document itself."
        )
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ValidationError(
            f"{name} holds {len(members):,} parts; a document holds at most "
            f"{MAX_ARCHIVE_MEMBERS:,}. Attach a smaller document."
        )
    unpacked = 0
    for member in members:
        suffix = PurePath(member.filename).suffix.lower().lstrip(".")
        if suffix in EXECUTABLE_SUFFIXES or member.filename.lower().endswith("vbaproject.bin"):
            raise ValidationError(
                f"{name} contains {member.filename!r}, which is code (a program or macro); "
                "attach a copy saved without macros or embedded programs."
            )
        unpacked += member.file_size
        packed = max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and member.file_size / packed > MAX_COMPRESSION_RATIO:
            raise ValidationError(
                f"{name}: the part {member.filename!r} unpacks to {member.file_size:,} bytes "
                f"from {member.compress_size:,}; attachments with such compression are refused."
            )
    if unpacked > limit:
        raise ValidationError(
            f"{name} unpacks to {unpacked:,} bytes; the limit is {limit:,} bytes. "
            "Attach a smaller document."
        )


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
