"""What an API library costs a request, before any query: django-ninja against Django REST
framework on the same endpoint (issue 16's choice of library for api/).

Both serve a list of 20 paper-like objects (validated and serialised by the library: a ninja
Schema, a DRF Serializer) and a detail of one, through Django's test client with an empty
middleware stack and no database, so what differs is routing, parsing and serialisation.
A plain Django view (JsonResponse of the same dicts) is the floor.

    python bench/api_overhead.py            # needs django-ninja and djangorestframework

DRF is not a dependency of the project: run this in a throwaway environment that has both,
e.g. `uv venv /tmp/apibench && uv pip install --python /tmp/apibench django django-ninja
djangorestframework`. Ends with one key=value line.
"""

import datetime
import statistics
import sys
import time

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    DATABASES={},
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    },
)
django.setup()

from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import NinjaAPI, Schema  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402


class Paper:
    def __init__(self, n: int):
        self.arxiv_id = f"2505.{n:05d}"
        self.version = 1
        self.title = f"A study of thing {n} with $x^2$ and more words in the title"
        self.abstract = "An abstract. " * 40
        self.authors = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
        self.category = "llm"
        self.upvotes = n
        self.announced_on = datetime.date(2025, 5, 27)


PAPERS = [Paper(n) for n in range(20)]


class PaperOut(Schema):
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    category: str
    upvotes: int | None
    announced_on: datetime.date


class PaperSerializer(serializers.Serializer):
    arxiv_id = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    abstract = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    upvotes = serializers.IntegerField(allow_null=True)
    announced_on = serializers.DateField()


api = NinjaAPI(urls_namespace="bench")


@api.get("/papers", response=list[PaperOut])
def ninja_list(request):
    return PAPERS


@api.get("/papers/{arxiv_id}", response=PaperOut)
def ninja_detail(request, arxiv_id: str):
    return PAPERS[0]


@api_view(["GET"])
def drf_list(request):
    return Response(PaperSerializer(PAPERS, many=True).data)


@api_view(["GET"])
def drf_detail(request, arxiv_id):
    return Response(PaperSerializer(PAPERS[0]).data)


def _plain(paper):
    return {**vars(paper), "announced_on": paper.announced_on.isoformat()}


def plain_list(request):
    return JsonResponse([_plain(p) for p in PAPERS], safe=False)


def plain_detail(request, arxiv_id):
    return JsonResponse(_plain(PAPERS[0]))


urlpatterns = [
    path("ninja/", api.urls),
    path("drf/papers", drf_list),
    path("drf/papers/<str:arxiv_id>", drf_detail),
    path("plain/papers", plain_list),
    path("plain/papers/<str:arxiv_id>", plain_detail),
]


def measure(url: str, repeat: int = 2000) -> float:
    """Median microseconds per request over 5 rounds."""
    client = Client()
    assert client.get(url).status_code == 200, url
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            client.get(url)
        rounds.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(rounds)


def main() -> None:
    results = {}
    for lib in ("plain", "ninja", "drf"):
        for what, url in (("list", f"/{lib}/papers"), ("detail", f"/{lib}/papers/2505.00001")):
            results[f"{lib}_{what}_us"] = measure(url)
            print(f"{lib:6} {what:7} {results[f'{lib}_{what}_us']:8.0f} µs/request", flush=True)
    print(" ".join(f"{k}={v:.0f}" for k, v in results.items()))


if __name__ == "__main__":
    sys.exit(main())
