"""The answer for any address under /api/ that names no endpoint.

API clients get a JSON error, never an HTML page, for example when an id in
the path is not a number. The view authenticates and rate-limits like every
other endpoint, so an anonymous caller learns nothing beyond "sign in".
"""

from rest_framework import exceptions

from .views import ApiView


class UnknownEndpoint(ApiView):
    required_scopes = ()
    pagination_class = None
    schema = None

    def _not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound(
            f"No API endpoint at {request.path}; ids are numbers and the endpoints "
            "are listed at /api/docs/."
        )

    get = post = put = patch = delete = _not_found
