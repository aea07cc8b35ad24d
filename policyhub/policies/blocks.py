from django.utils.safestring import mark_safe
from django.utils.text import slugify
from wagtail import blocks

from .markdown import render_markdown


class MarkdownBlock(blocks.TextBlock):
    """Markdown source, rendered to sanitised HTML when shown."""

    def render_basic(self, value, context=None):
        return mark_safe(render_markdown(value or ""))  # noqa: S308 - sanitised by nh3

    class Meta:
        icon = "doc-full"
        rows = 16
        help_text = "Markdown: headings (###), numbered lists, pipe tables and links."


class SectionBlock(blocks.StructBlock):
    """One titled section of a policy, such as Scope or Policy statements."""

    heading = blocks.CharBlock(max_length=200)
    content = MarkdownBlock()

    class Meta:
        icon = "title"
        template = "policies/blocks/section.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["anchor"] = section_anchor(value["heading"])
        return context


def section_anchor(heading):
    return f"section-{slugify(heading)}"
