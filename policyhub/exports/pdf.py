"""Render a policy version to PDF with WeasyPrint."""

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML


def version_pdf_context(version):
    policy = version.policy
    history = policy.versions.filter(
        major__lte=version.major
    ).exclude(major=version.major, minor__gt=version.minor).select_related("submitted_by")
    approvals = version.approvals.select_related("approved_by").order_by("step_order")
    return {
        "version": version,
        "policy": policy,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "history": history.order_by("major", "minor"),
        "approvals": approvals,
        "sections": policy_sections_from_snapshot(version),
    }


def policy_sections_from_snapshot(version):
    """Return (anchor, heading) pairs for the table of contents.

    The snapshot is the HTML frozen at publication, so the contents come from
    it rather than from the page, which may have changed since.
    """
    import re

    return re.findall(r'<section id="([^"]+)"><h2>(.*?)</h2>', version.html_snapshot)


def render_version_pdf(version):
    """Return the unsigned PDF bytes of ``version``."""
    html = render_to_string("exports/policy_version_pdf.html", version_pdf_context(version))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
