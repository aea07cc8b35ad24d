"""Convert an uploaded Markdown or Word document into policy sections.

Word documents (.docx) are converted to HTML by mammoth and then to Markdown
by markdownify, so they are stored and sanitised like every other policy
body. Images are saved to storage and linked; whatever cannot be converted is
listed in the result's messages.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

import mammoth
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from markdownify import markdownify

from .importer import SECTION_HEADING

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .docx and legacy .doc
ZIP_MAGIC = b"PK\x03\x04"
MARKDOWN_SUFFIXES = (".md", ".markdown")
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}


class DocumentRejected(Exception):
    """Raised with a message saying why the upload cannot be imported."""


@dataclass
class Conversion:
    sections: list
    messages: list = field(default_factory=list)


def convert_upload(name, data):
    """Return the sections of an uploaded document, or raise DocumentRejected."""
    limit = settings.POLICYHUB_IMPORT_MAX_BYTES
    if not data:
        raise DocumentRejected(f"{name} is empty.")
    if len(data) > limit:
        raise DocumentRejected(f"{name} is {len(data):,} bytes; the limit is {limit:,} bytes.")
    lower = name.lower()
    if lower.endswith(MARKDOWN_SUFFIXES):
        return _convert_markdown(name, data)
    if lower.endswith(".docx"):
        return _convert_docx(name, data)
    if lower.endswith((".docm", ".dotm")):
        raise DocumentRejected(f"{name} is a macro-enabled Word file; save it as .docx without macros.")
    raise DocumentRejected(f"{name} is not a Markdown (.md) or Word (.docx) document.")


def _convert_markdown(name, data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentRejected(f"{name} is not UTF-8 text (invalid byte at offset {exc.start}).") from None
    if "\x00" in text:
        raise DocumentRejected(f"{name} contains binary data, not Markdown text.")
    if text.startswith("---\n"):
        closing = text.find("\n---\n", 4)
        if closing != -1:
            text = text[closing + 5 :]
    return Conversion(sections=split_sections(name, text))


def _check_docx_container(name, data):
    if data.startswith(OLE_MAGIC):
        raise DocumentRejected(
            f"{name} is encrypted or is a legacy .doc file; remove the password and "
            "save it as .docx."
        )
    if not data.startswith(ZIP_MAGIC):
        raise DocumentRejected(f"{name} is not a Word document (.docx is a ZIP container).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
            expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise DocumentRejected(f"{name} is damaged: its ZIP container cannot be read.") from None
    if "word/document.xml" not in members:
        raise DocumentRejected(f"{name} is a ZIP file but not a Word document.")
    if any(member.lower().endswith("vbaproject.bin") for member in members):
        raise DocumentRejected(f"{name} contains macros; save it as .docx without macros.")
    if expanded > 20 * settings.POLICYHUB_IMPORT_MAX_BYTES:
        raise DocumentRejected(f"{name} expands to {expanded:,} bytes, too large to convert.")


def _save_image(image):
    extension = IMAGE_TYPES.get(image.content_type)
    if extension is None:
        return {"alt": f"[image of type {image.content_type} not imported]"}
    with image.open() as stream:
        content = stream.read()
    digest = hashlib.sha256(content).hexdigest()
    path = f"policy-images/{digest}.{extension}"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(content))
    return {"src": default_storage.url(path), "alt": image.alt_text or ""}


def _convert_docx(name, data):
    _check_docx_container(name, data)
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data), convert_image=mammoth.images.img_element(_save_image)
        )
    except Exception as exc:  # noqa: BLE001 - mammoth raises many types on bad input
        raise DocumentRejected(f"{name} cannot be converted ({type(exc).__name__}).") from None
    html = _normalise_headings(result.value)
    text = markdownify(html, heading_style="ATX", bullets="-", strip=["span"])
    messages = sorted({f"{message.type}: {message.message}" for message in result.messages})
    return Conversion(sections=split_sections(name, text), messages=messages)


def _normalise_headings(html):
    """Make the document's top section level <h2>, as policy sections are."""
    levels = sorted({int(level) for level in re.findall(r"<h([1-6])\b", html)})
    if not levels or levels[0] == 2:
        return html
    shift = 2 - levels[0]

    def replace(match):
        level = min(6, max(2, int(match.group(2)) + shift))
        return f"<{match.group(1)}h{level}"

    return re.sub(r"<(/?)h([1-6])", replace, html)


def split_sections(name, text):
    """Split Markdown at its '## ' headings; text before the first becomes an
    'Introduction' section."""
    sections = []
    current = {"heading": "Introduction", "lines": []}
    for line in text.replace("\r\n", "\n").split("\n"):
        match = SECTION_HEADING.match(line)
        if match and match["heading"]:
            if current["lines"] and any(part.strip() for part in current["lines"]):
                sections.append(current)
            current = {"heading": match["heading"], "lines": []}
        else:
            current["lines"].append(line)
    if any(part.strip() for part in current["lines"]) or current["heading"] != "Introduction":
        sections.append(current)
    result = [
        {"heading": section["heading"][:200], "content": "\n".join(section["lines"]).strip("\n")}
        for section in sections
    ]
    if not result:
        raise DocumentRejected(f"{name} has no text to import.")
    return result
