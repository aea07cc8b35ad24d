"""Render policy Markdown to sanitised HTML.

Python-Markdown converts the text and nh3 (the Rust ``ammonia`` sanitiser)
removes everything outside an allow-list, so no ``<script>``, event handler
attribute or ``javascript:`` URL survives whatever the source contains.
"""

import re

import markdown as markdown_lib
import nh3
from django.conf import settings

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "ol": {"start"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_PAGEBREAK = re.compile(r"^\s*\\(pagebreak|newpage)\s*$", re.MULTILINE)
_SIBLING_POLICY_LINK = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)\.md(?P<anchor>#[\w-]*)?$")
_TEXT_ALIGN = re.compile(r"^text-align:\s*(left|right|center);?$")


def _filter_attribute(tag, attribute, value):
    if tag == "img" and attribute == "src":
        # Only images stored by PolicyHub itself, never external trackers.
        return value if value.startswith(settings.MEDIA_URL) and ".." not in value else None
    if tag == "a" and attribute == "href":
        match = _SIBLING_POLICY_LINK.match(value)
        if match:
            return f"../{match['slug']}/{match['anchor'] or ''}"
    if attribute == "style":
        # Tables keep their column alignment; any other inline style is dropped.
        return value if _TEXT_ALIGN.match(value.strip()) else None
    return value


def render_markdown(text):
    """Return sanitised HTML for the Markdown ``text``.

    Typesetting commands that some policy sets carry for their PDF tool
    (``\\pagebreak``, ``\\newpage``) are dropped, since the portal lays out pages
    itself. Links to a sibling ``slug.md`` file become links to that policy.
    """
    text = _PAGEBREAK.sub("", text)
    html = markdown_lib.markdown(
        text,
        extensions=["tables", "sane_lists", "fenced_code", "def_list", "toc"],
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_filter_attribute,
    )
