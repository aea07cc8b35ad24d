"""OpenAPI schema hooks: only /api/v1/ and the API key security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


def only_policyhub_api(endpoints, **kwargs):
    """Keep PolicyHub's own endpoints; Wagtail's admin API is not part of it."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "policyhub.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key ph_xxxxxxxx.<secret>`",
        }
