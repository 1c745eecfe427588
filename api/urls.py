"""The API's URLs: version 1, and a JSON 404 for anything else under /api/ (a path no route
takes, e.g. one with a newline, must not get the site's HTML error page)."""

from django.http import JsonResponse
from django.urls import path, re_path

from api.v1 import api as v1


def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not Found"}, status=404)


urlpatterns = [
    path("v1/", v1.urls),
    re_path(r"", not_found),  # an empty pattern matches whatever is left
]
