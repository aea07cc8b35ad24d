from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """Return the smallest Django response, the baseline for requests per second."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("", include("policyhub.urls"))]
