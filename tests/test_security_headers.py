"""Security headers on portal and admin pages."""

import pytest

pytestmark = pytest.mark.django_db

PORTAL_PAGES = ["/accounts/login/", "/policies/", "/exports/verify/", "/exceptions/"]


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_portal_pages_send_strict_policy(published_policy, personas, client, path):
    client.force_login(personas["employee"])
    response = client.get(path, follow=True)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_policy_page_allows_only_own_scripts(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["employee"])
    policy = client.get(page.url)["Content-Security-Policy"]
    script_src = policy.split("script-src")[1].split(";")[0]
    # A nonce appears only on pages whose templates use one; none may allow inline code.
    assert script_src.split()[0] == "'self'"
    assert "unsafe" not in script_src


def test_admin_gets_its_own_policy(personas, client):
    client.force_login(personas["owner"])
    response = client.get("/admin/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" in policy.split("style-src")[1].split(";")[0]
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_session_cookie_flags(personas, client):
    response = client.post(
        "/accounts/login/", {"login": personas["employee"].email, "password": "Persona-Password-42!"}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def _static_paths(resolver, prefix=""):
    """Yield every URL path of ``resolver`` that takes no parameters."""
    from django.urls import URLPattern, URLResolver
    from django.urls.resolvers import RegexPattern, RoutePattern

    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            if pattern.converters:
                continue
            part = str(pattern)
        elif isinstance(pattern, RegexPattern):
            part = str(pattern).lstrip("^").rstrip("$")
            if any(symbol in part for symbol in "()[]?*+\\|{}"):
                continue
        else:
            continue
        if isinstance(entry, URLResolver):
            yield from _static_paths(entry, prefix + part)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + part


def test_every_portal_url_sends_security_headers(published_policy, personas, client):
    from django.urls import get_resolver

    client.force_login(personas["author"])
    paths = sorted(
        {path for path in _static_paths(get_resolver()) if not path.startswith("/admin/")}
    )
    assert "/privacy/subject-access/" in paths
    missing = []
    for path in paths:
        response = client.get(path)
        policy = response.get("Content-Security-Policy", "")
        if "default-src 'self'" not in policy or "frame-ancestors 'none'" not in policy:
            missing.append(f"{path}: Content-Security-Policy {policy!r}")
        if response.get("X-Content-Type-Options") != "nosniff":
            missing.append(f"{path}: X-Content-Type-Options")
        if response.get("Referrer-Policy") != "same-origin":
            missing.append(f"{path}: Referrer-Policy")
        if "camera=()" not in response.get("Permissions-Policy", ""):
            missing.append(f"{path}: Permissions-Policy")
    assert missing == []
