"""Numbered policy statements (e.g. AC-11) read from a version's snapshot."""

import re

import lxml.html

STATEMENT_ID = re.compile(r"^[A-Z]{2,4}-\d{1,3}$")


def statements_of(version):
    """Return {statement id: text} for the numbered statements of ``version``.

    Seed policies write each statement as a list item starting with its id in
    bold, e.g. ``1. **AC-11** Passwords must ...``.
    """
    html = version.html_snapshot
    if not html.strip():
        return {}
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    statements = {}
    for strong in root.iter("strong"):
        label = (strong.text or "").strip()
        if not STATEMENT_ID.match(label):
            continue
        item = strong.getparent()
        while item is not None and item.tag != "li":
            item = item.getparent()
        if item is not None:
            statements.setdefault(label, " ".join(item.text_content().split()))
    return statements
