"""Compare two policy versions block by block, with word-level changes.

A version's HTML snapshot is split into blocks (headings, paragraphs, list
items, table rows), and difflib matches the blocks. A changed block is shown
with word-level insertions and deletions. A block deleted in one place and
inserted unchanged in another is reported as moved.
"""

import difflib
import re
from dataclasses import dataclass

import lxml.html
from django.utils.html import escape
from django.utils.safestring import mark_safe

BLOCK_TAGS = {"h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "dt", "dd", "blockquote"}
WORDS = re.compile(r"\s+|[^\s]+")
SIMILAR_ENOUGH = 0.5


@dataclass(frozen=True)
class Block:
    tag: str
    section: str
    text: str


@dataclass(frozen=True)
class Row:
    """One line of a comparison; ``kind`` is equal, insert, delete, change,
    moved-from or moved-to."""

    kind: str
    section: str
    old_html: str
    new_html: str
    inline_html: str


def _own_text(element):
    """Return an element's text without the text of nested blocks (sub-lists)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in BLOCK_TAGS and child.tag not in {"ul", "ol", "table"}:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def blocks_from_html(html):
    """Return the blocks of a snapshot, in document order."""
    if not html.strip():
        return []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks = []
    section = ""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag not in BLOCK_TAGS:
            continue
        if element.tag == "tr":
            text = " | ".join(
                " ".join(cell.text_content().split()) for cell in element.iter("td", "th")
            )
        elif element.tag in {"li", "dd", "blockquote"}:
            text = _own_text(element)
        else:
            text = " ".join(element.text_content().split())
        if element.tag == "h2":
            section = text
        if text:
            blocks.append(Block(element.tag, section, text))
    return blocks


def word_diff(old, new):
    """Return (old_html, new_html, inline_html) marking changed words."""
    old_words = WORDS.findall(old)
    new_words = WORDS.findall(new)
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    old_parts, new_parts, inline = [], [], []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        removed = escape("".join(old_words[a1:a2]))
        added = escape("".join(new_words[b1:b2]))
        if op == "equal":
            old_parts.append(removed)
            new_parts.append(added)
            inline.append(added)
            continue
        if removed:
            old_parts.append(f"<del>{removed}</del>")
            inline.append(f"<del>{removed}</del>")
        if added:
            new_parts.append(f"<ins>{added}</ins>")
            inline.append(f"<ins>{added}</ins>")
    return "".join(old_parts), "".join(new_parts), "".join(inline)


def _pair_changed(old_blocks, new_blocks):
    """Pair blocks of a replaced run by similarity; return rows."""
    rows = []
    remaining = list(new_blocks)
    for old in old_blocks:
        best, best_ratio = None, 0.0
        for candidate in remaining:
            ratio = difflib.SequenceMatcher(a=old.text, b=candidate.text).ratio()
            if ratio > best_ratio:
                best, best_ratio = candidate, ratio
        if best is not None and best_ratio >= SIMILAR_ENOUGH:
            # Blocks inserted before the paired one keep their order.
            while remaining and remaining[0] is not best:
                rows.append(_inserted(remaining.pop(0)))
            remaining.pop(0)
            old_html, new_html, inline = word_diff(old.text, best.text)
            rows.append(Row("change", best.section, old_html, new_html, inline))
        else:
            rows.append(_deleted(old))
    rows.extend(_inserted(block) for block in remaining)
    return rows


def _inserted(block):
    text = escape(block.text)
    return Row("insert", block.section, "", f"<ins>{text}</ins>", f"<ins>{text}</ins>")


def _deleted(block):
    text = escape(block.text)
    return Row("delete", block.section, f"<del>{text}</del>", "", f"<del>{text}</del>")


def _mark_moves(rows):
    """Relabel an insert and a delete of the same text as a move."""
    deleted = {}
    for index, row in enumerate(rows):
        if row.kind == "delete":
            deleted.setdefault(_plain(row.old_html), []).append(index)
    for index, row in enumerate(rows):
        if row.kind != "insert":
            continue
        matches = deleted.get(_plain(row.new_html))
        if not matches:
            continue
        source = matches.pop(0)
        text = escape(_plain(row.new_html))
        rows[source] = Row("moved-from", rows[source].section, text, "", text)
        rows[index] = Row("moved-to", row.section, "", text, text)
    return rows


def _plain(html):
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def compare_html(old_html, new_html):
    """Return the rows comparing two snapshots, in the newer document's order."""
    old_blocks = blocks_from_html(old_html)
    new_blocks = blocks_from_html(new_html)
    matcher = difflib.SequenceMatcher(
        a=[block.text for block in old_blocks],
        b=[block.text for block in new_blocks],
        autojunk=False,
    )
    rows = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            for block in new_blocks[b1:b2]:
                text = escape(block.text)
                rows.append(Row("equal", block.section, text, text, text))
        elif op == "delete":
            rows.extend(_deleted(block) for block in old_blocks[a1:a2])
        elif op == "insert":
            rows.extend(_inserted(block) for block in new_blocks[b1:b2])
        else:
            rows.extend(_pair_changed(old_blocks[a1:a2], new_blocks[b1:b2]))
    return [_safe(row) for row in _mark_moves(rows)]


def _safe(row):
    # Every fragment was built from escaped text plus our own del/ins tags.
    return Row(
        row.kind,
        row.section,
        mark_safe(row.old_html),  # noqa: S308
        mark_safe(row.new_html),  # noqa: S308
        mark_safe(row.inline_html),  # noqa: S308
    )


def summarise(rows):
    """Return counts of each kind of row, keyed with underscores (moved_to)."""
    counts = {}
    for row in rows:
        key = row.kind.replace("-", "_")
        counts[key] = counts.get(key, 0) + 1
    return counts
