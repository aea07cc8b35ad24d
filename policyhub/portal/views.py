from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from ..policies.models import PolicyIndexPage


@require_GET
def home(request):
    """Send readers to the policy library, the portal's start page."""
    library = PolicyIndexPage.objects.first()
    return redirect(library.url if library else "/admin/")
