"""The API keys page: compliance admins create and revoke keys."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import keys
from .forms import ApiKeyForm
from .models import ApiKey


def _page(request, form, issued=None, status=200):
    api_keys = ApiKey.objects.select_related("user", "created_by")[:200]
    context = {"form": form, "api_keys": api_keys, "issued": issued}
    return render(request, "api/key_list.html", context, status=status)


@never_cache
@login_required
@permission_required(keys.MANAGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def key_list(request):
    """List keys; a valid POST creates one and shows its token on this response only."""
    if request.method != "POST":
        return _page(request, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        issued = keys.create_key(
            request.user,
            user=data["user"],
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            request=request,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, form, status=400)
    return _page(request, ApiKeyForm(), issued=issued, status=201)


@login_required
@permission_required(keys.MANAGE_PERMISSION, raise_exception=True)
@require_POST
def revoke(request, pk):
    key = get_object_or_404(ApiKey, pk=pk)
    keys.revoke_key(key, request.user, request=request)
    return redirect("api_keys:list")
