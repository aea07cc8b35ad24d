"""Fixtures and helpers shared by the REST API test modules."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from policyhub.api import keys
from policyhub.api.scopes import ALL_SCOPES


@pytest.fixture(autouse=True)
def empty_rate_limit_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def issue_token(user, scopes, creator, days=30):
    """Create a key for ``user`` and return its token."""
    issued = keys.create_key(
        creator,
        user=user,
        name="Test integration",
        scopes=sorted(scopes),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return issued.token


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Api-Key {token}"}


def all_scopes_but(*excluded):
    return sorted(ALL_SCOPES - set(excluded))
