"""Least privilege across the portal and the admin.

One test walks every URL pattern that the resolver knows and checks that an
anonymous visitor gets nothing but the public pages. The matrix test then
requests the pages that guard each role's powers as every persona and
compares the status codes with docs/permission-matrix.md.
"""

import re

import pytest
from django.core.cache import cache
from django.urls import URLResolver, get_resolver

ROLES = ["anonymous", "employee", "owner", "approver", "auditor", "author", "outsider"]
# Pages that anyone may open without signing in. Wagtail serves its admin
# translations (jsi18n) and icon sprite without a session; both hold no data.
PUBLIC = re.compile(
    r"^/(healthz|admin/jsi18n/|admin/sprite/|accounts/(login|password/reset|signup|confirm-email|"
    r"password/reset/key/.*|password/reset/done|login/code/confirm|"
    r"email/verification-sent|inactive|reauthenticate|3rdparty/login/cancelled)/?|"
    r"policies/_util/login/.*|"
    r"api/(schema|docs)/?)$"
)
DENIED = {301, 302, 400, 401, 403, 404, 405}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def fill(pattern, ids):
    """Turn a route or regex pattern into a path, using fixture ids for arguments."""
    path = re.sub(r"<(?:int:)?(\w*id|pk)>", lambda match: str(ids["id"]), pattern)
    path = re.sub(r"<slug:\w+>", ids["slug"], path)
    path = re.sub(r"<(?:str:|path:)?\w+>", "x", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", str(ids["id"]), path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + re.sub(r"[?()*+]", "", path)


def test_anonymous_reaches_only_public_pages(client, published_policy):
    page, version = published_policy
    ids = {"id": version.pk, "slug": page.slug}
    opened = []
    for pattern in sorted(set(url_patterns())):
        path = fill(pattern, ids)
        if PUBLIC.match(path):
            continue
        status = client.get(path).status_code
        if status not in DENIED:
            opened.append(f"{path} -> {status}")
    assert opened == []


def guarded_pages(page, version):
    """(path, expected status per role in ROLES order)."""
    return [
        ("/admin/", [302, 403, 200, 200, 403, 200, 403]),
        (f"/admin/pages/{page.pk}/edit/", [302, 403, 200, 302, 403, 200, 403]),
        ("/admin/users/", [302, 403, 302, 302, 403, 302, 403]),
        ("/admin/groups/", [302, 403, 302, 302, 403, 302, 403]),
        (page.url, [302, 200, 200, 200, 200, 200, 200]),
        (f"/exports/versions/{version.pk}/signed.pdf", [302, 403, 403, 403, 200, 200, 403]),
        ("/exports/evidence/", [302, 403, 403, 403, 200, 200, 403]),
        ("/audit/", [302, 403, 403, 403, 200, 200, 403]),
        ("/audit/export.csv", [302, 403, 403, 403, 200, 200, 403]),
        ("/auditor/as-of/", [302, 403, 403, 403, 200, 200, 403]),
        ("/exceptions/register/", [302, 403, 403, 403, 200, 200, 403]),
        ("/api-keys/", [302, 403, 403, 403, 403, 200, 403]),
        ("/campaigns/new/", [302, 403, 403, 403, 403, 200, 403]),
        ("/training/report/", [302, 403, 403, 403, 403, 200, 403]),
        ("/changes/export.csv", [302, 403, 403, 403, 200, 200, 403]),
        # Without the download right the answer is 403 whether or not the
        # version exists, so its existence does not leak.
        (f"/exports/versions/{version.pk + 1000}/signed.pdf", [302, 403, 403, 403, 404, 404, 403]),
    ]


def test_role_matrix_matches_documentation(client, personas, published_policy):
    page, version = published_policy
    mismatches = []
    for path, expected in guarded_pages(page, version):
        actual = []
        for role in ROLES:
            client.logout()
            if role != "anonymous":
                client.force_login(personas[role])
            actual.append(client.get(path).status_code)
        if actual != expected:
            mismatches.append(f"{path}: expected {expected}, got {actual}")
    assert mismatches == [], "\n".join(mismatches)
