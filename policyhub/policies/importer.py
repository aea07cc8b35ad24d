"""Import policy documents written as Markdown with YAML front matter.

A file is accepted only when every check passes; the caller imports a whole
directory in one transaction, so one bad file imports nothing from that run.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth.models import Group

from .models import Classification

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}|\{%.*?%\}")
GRID_TABLE_BORDER = re.compile(r"^\s*\+[-=:+]+\+\s*$")
SECTION_HEADING = re.compile(r"^##(?!#)\s*(?P<heading>.*?)\s*#*\s*$")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
FENCE = "---"
MAX_FILE_BYTES = 1024 * 1024
MAX_HEADING_CHARS = 200
TEXT_FIELDS = ("title", "slug", "summary", "owner_role", "approver_group")


def _show(value, limit=60):
    """Return a short repr of ``value`` for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class FieldSpec:
    kind: type
    required: bool = True


FRONT_MATTER_FIELDS = {
    "title": FieldSpec(str),
    "slug": FieldSpec(str),
    "summary": FieldSpec(str),
    "owner_role": FieldSpec(str),
    "approver_group": FieldSpec(str),
    "review_interval_months": FieldSpec(int),
    "classification": FieldSpec(str),
    "iso27001_controls": FieldSpec(list),
    "regulatory_references": FieldSpec(list, required=False),
}


class ImportFailed(Exception):
    """Raised with every problem found; nothing was imported."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class PolicyDocument:
    path: Path
    title: str
    slug: str
    summary: str
    owner_role: str
    approver_group: Group
    review_interval_months: int
    classification: str
    iso27001_controls: list
    regulatory_references: list
    sections: list = field(default_factory=list)
    source_sha256: str = ""


def list_policy_files(source):
    """Return the Markdown files to import from a file or directory path.

    A directory contributes its ``*.md`` files (any letter case) except
    README.md. Links that lead outside the directory are refused.
    """
    source = Path(source)
    if source.is_dir():
        files = sorted(
            path
            for path in source.iterdir()
            if path.suffix.lower() == ".md" and path.name.lower() != "readme.md"
        )
        if not files:
            raise ImportFailed([f"{source}: no .md policy files in this directory."])
        root = source.resolve()
        outside = [
            f"{path}: is a link to a file outside {source}; copy the file in instead."
            for path in files
            if path.is_symlink() and not path.resolve().is_relative_to(root)
        ]
        if outside:
            raise ImportFailed(outside)
        return files
    if source.suffix == ".md" or source.is_file():
        return [source]
    raise ImportFailed([f"{source}: no such file or directory."])


def _read_text(path, errors):
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            errors.append(
                f"{path}: is {size:,} bytes; policy files are limited to {MAX_FILE_BYTES:,} bytes."
            )
            return None
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(f"{path}: cannot be read ({exc.strerror or exc}).")
        return None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        errors.append(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); "
            "save the file as UTF-8."
        )
        return None


def _split_front_matter(path, text, errors):
    """Return (front matter text, body, body's first line number)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        closing = next(
            (number for number, line in enumerate(lines, 1) if line.strip() == FENCE),
            None,
        )
        if closing:
            errors.append(
                f"{path}: front matter must open with a '---' line on line 1; "
                f"found {_show(lines[0][:30])} and a closing '---' on line {closing}. "
                "Add '---' as the first line."
            )
        else:
            errors.append(
                f"{path}: no front matter; start the file with '---', the YAML "
                "fields (title, slug, ...), and another '---'."
            )
        return None
    for number, line in enumerate(lines[1:], 2):
        if line.strip() == FENCE:
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:]), number + 1
    errors.append(f"{path}: front matter opened on line 1 is never closed with '---'.")
    return None


def _check_fields(path, data, errors, fields=FRONT_MATTER_FIELDS, other_fields=()):
    """Check the fields in ``fields``. The caller checks ``other_fields``, which
    are allowed too."""
    problems = []
    allowed = [*fields, *other_fields]
    for name in sorted(set(data) - set(allowed)):
        problems.append(
            f"{path}: unknown front matter field {name!r}; allowed fields are "
            f"{', '.join(allowed)}."
        )
    for name, spec in fields.items():
        value = data.get(name)
        if value is None or value == "":
            if spec.required:
                problems.append(f"{path}: missing front matter field {name!r}.")
            continue
        if spec.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(
                f"{path}: field {name!r} must be a whole number, got {_show(value)}."
            )
        elif spec.kind is list and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            problems.append(f"{path}: field {name!r} must be a list of text items.")
        elif spec.kind is str and not isinstance(value, str):
            problems.append(f"{path}: field {name!r} must be text, got {_show(value)}.")
        elif spec.kind is str and not value.strip():
            problems.append(f"{path}: field {name!r} must not be blank.")
    if problems:
        errors.extend(problems)
        return False

    if not SLUG.fullmatch(data["slug"]):
        problems.append(
            f"{path}: field 'slug' is {_show(data['slug'])}; use lower-case letters, "
            "digits and hyphens, starting with a letter or digit."
        )
    if not 1 <= data["review_interval_months"] <= 60:
        problems.append(
            f"{path}: field 'review_interval_months' is "
            f"{data['review_interval_months']}; use a value from 1 to 60."
        )
    if data["classification"] not in Classification.values:
        problems.append(
            f"{path}: field 'classification' is {_show(data['classification'])}; use one "
            f"of {', '.join(Classification.values)}."
        )
    if len(data["title"]) > 255:
        problems.append(f"{path}: field 'title' is longer than 255 characters.")
    errors.extend(problems)
    return not problems


def _fill_placeholders(path, body, first_line, values, errors, field=None):
    ok = True
    for number, line in enumerate(body.split("\n"), first_line):
        for match in PLACEHOLDER.finditer(line):
            name = match.group(1)
            if name is None or name not in values:
                ok = False
                where = f"field {field!r}" if field else f"line {number}"
                errors.append(
                    f"{path}: {where}: unknown placeholder {_show(match.group(0))}; "
                    f"the importer fills only {', '.join(sorted(values))}."
                )
    if not ok:
        return None
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


def _split_sections(path, body, first_line, errors):
    sections = []
    preamble = []
    for number, line in enumerate(body.split("\n"), first_line):
        if GRID_TABLE_BORDER.match(line):
            errors.append(
                f"{path}: line {number}: pandoc grid tables are not supported; "
                "rewrite the table as a Markdown pipe table."
            )
            return None
        heading = SECTION_HEADING.match(line)
        if heading:
            if not heading["heading"]:
                errors.append(f"{path}: line {number}: empty '##' section heading.")
                return None
            if len(heading["heading"]) > MAX_HEADING_CHARS:
                errors.append(
                    f"{path}: line {number}: section heading longer than "
                    f"{MAX_HEADING_CHARS} characters; shorten it."
                )
                return None
            sections.append({"heading": heading["heading"], "lines": []})
        elif sections:
            sections[-1]["lines"].append(line)
        elif line.strip():
            preamble.append(number)
    if preamble:
        errors.append(
            f"{path}: line {preamble[0]}: text before the first '## ' section "
            "heading; begin the body with a '## ' heading such as '## Purpose'."
        )
        return None
    if not sections:
        errors.append(f"{path}: the body has no '## ' section headings.")
        return None
    return [
        {"heading": s["heading"], "content": "\n".join(s["lines"]).strip("\n")}
        for s in sections
    ]


def read_front_matter(path, errors):
    """Return (file text, front matter dict, body, body's first line number), or
    None after adding to ``errors``."""
    text = _read_text(path, errors)
    if text is None:
        return None
    split = _split_front_matter(path, text, errors)
    if split is None:
        return None
    front_matter, body, body_line = split
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(front_matter)):
            errors.append(
                f"{path}: front matter uses YAML aliases (*name); write each value out."
            )
            return None
        data = yaml.safe_load(front_matter)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark else "front matter"
        errors.append(f"{path}: {where}: invalid YAML ({getattr(exc, 'problem', exc)}).")
        return None
    if not isinstance(data, dict):
        errors.append(f"{path}: front matter must be YAML key: value pairs.")
        return None
    return text, data, body, body_line


def parse_policy_file(path, organisation, errors):
    """Return a PolicyDocument for ``path``, or None after adding to ``errors``."""
    parsed = read_front_matter(path, errors)
    if parsed is None:
        return None
    text, data, body, body_line = parsed
    if not _check_fields(path, data, errors):
        return None
    return build_policy_document(path, data, text, body, body_line, organisation, errors)


def build_policy_document(path, data, text, body, body_line, organisation, errors):
    """Return a PolicyDocument from checked front matter and the body, or None
    after adding to ``errors``."""
    group = Group.objects.filter(
        name=data["approver_group"], name__in=settings.POLICYHUB_APPROVER_GROUPS
    ).first()
    if group is None:
        names = ", ".join(settings.POLICYHUB_APPROVER_GROUPS)
        errors.append(
            f"{path}: field 'approver_group' names unknown group "
            f"{_show(data['approver_group'])}; approver groups: {names}."
        )
        return None
    values = {"organisation": organisation}
    for name in ("title", "summary", "owner_role"):
        data[name] = _fill_placeholders(path, data[name], 1, values, errors, field=name)
        if data[name] is None:
            return None
    filled = _fill_placeholders(path, body, body_line, values, errors)
    if filled is None:
        return None
    sections = _split_sections(path, filled, body_line, errors)
    if sections is None:
        return None
    digest = hashlib.sha256(
        (organisation + "\0" + text).encode("utf-8")
    ).hexdigest()
    return PolicyDocument(
        path=path,
        title=data["title"].strip(),
        slug=data["slug"],
        summary=data["summary"].strip(),
        owner_role=data["owner_role"].strip(),
        approver_group=group,
        review_interval_months=data["review_interval_months"],
        classification=data["classification"],
        iso27001_controls=data.get("iso27001_controls") or [],
        regulatory_references=data.get("regulatory_references") or [],
        sections=sections,
        source_sha256=digest,
    )
