from django.shortcuts import get_object_or_404

from ..models import ChangeRequest
from ..permissions import visible_changes


def get_visible_change(request, pk):
    """Return the change ``pk`` if the user may see it; 404 otherwise, so
    outsiders cannot tell whether a change exists."""
    queryset = ChangeRequest.objects.select_related("requester", "implementer", "template", "category")
    return get_object_or_404(visible_changes(request.user, queryset), pk=pk)

