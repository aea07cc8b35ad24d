"""OpenID Connect identity providers, read from the environment.

Either POLICYHUB_OIDC_PROVIDERS contains a JSON list of providers, or the
discrete OIDC_* variables describe one. Settings import this module, so it
uses only the typed environment readers and no Django models.
"""

import json

from django.core.exceptions import ImproperlyConfigured

from ..settings.environment import env_list, env_str

REQUIRED_KEYS = ("id", "name", "server_url", "client_id")
KNOWN_KEYS = frozenset(
    {*REQUIRED_KEYS, "secret", "secret_file", "verified_email_domains", "token_auth_method"}
)


def _read_secret_file(provider_id, path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The client secret file {path!r} of OIDC provider {provider_id!r} cannot be "
            f"read ({exc.strerror}); point secret_file at a readable file."
        ) from exc


def _app(entry, position):
    """Return the allauth app dictionary of one provider entry."""
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"POLICYHUB_OIDC_PROVIDERS item {position} must be an object.")
    missing = [key for key in REQUIRED_KEYS if not entry.get(key)]
    unknown = sorted(set(entry) - KNOWN_KEYS)
    if missing or unknown:
        raise ImproperlyConfigured(
            f"OIDC provider {position} ({entry.get('id', 'no id')}): missing "
            f"{', '.join(missing) or 'nothing'}, unknown keys {', '.join(unknown) or 'none'}. "
            f"Allowed keys: {', '.join(sorted(KNOWN_KEYS))}."
        )
    if not entry["server_url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ImproperlyConfigured(
            f"OIDC provider {entry['id']!r}: server_url {entry['server_url']!r} must use https."
        )
    secret = entry.get("secret", "")
    if entry.get("secret_file"):
        if secret:
            raise ImproperlyConfigured(
                f"OIDC provider {entry['id']!r} sets both secret and secret_file; set one."
            )
        secret = _read_secret_file(entry["id"], entry["secret_file"])
    app_settings = {
        "server_url": entry["server_url"],
        # Email addresses in these domains count as verified by the
        # provider even without an email_verified claim (Azure AD sends none).
        "verified_email": list(entry.get("verified_email_domains", [])) or None,
        "oauth_pkce_enabled": True,
    }
    if entry.get("token_auth_method"):
        app_settings["token_auth_method"] = entry["token_auth_method"]
    return {
        "provider_id": entry["id"],
        "name": entry["name"],
        "client_id": entry["client_id"],
        "secret": secret,
        "settings": {key: value for key, value in app_settings.items() if value is not None},
    }


def providers_from_environment():
    """Return the allauth ``APPS`` list; empty when no provider is configured."""
    raw = env_str("POLICYHUB_OIDC_PROVIDERS", "")
    if raw:
        try:
            entries = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImproperlyConfigured(
                f"POLICYHUB_OIDC_PROVIDERS is not valid JSON ({exc.msg} at character "
                f"{exc.pos}); give a list of provider objects."
            ) from None
        if not isinstance(entries, list):
            raise ImproperlyConfigured("POLICYHUB_OIDC_PROVIDERS must be a JSON list.")
        return [_app(entry, position) for position, entry in enumerate(entries, start=1)]
    server_url = env_str("OIDC_SERVER_URL", "")
    if not server_url:
        return []
    entry = {
        "id": env_str("OIDC_PROVIDER_ID", "sso"),
        "name": env_str("OIDC_PROVIDER_NAME", "Single sign-on"),
        "server_url": server_url,
        "client_id": env_str("OIDC_CLIENT_ID", ""),
        "secret": env_str("OIDC_CLIENT_SECRET", ""),
        "verified_email_domains": env_list("OIDC_VERIFIED_EMAIL_DOMAINS", []),
    }
    return [_app(entry, 1)]
