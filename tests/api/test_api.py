"""The read-only JSON API: what each endpoint answers, its pinned query count, ETags,
pagination, and hostile input."""

import pytest
from django.urls import reverse

from digest.models import DailyDigest
from tests.conftest import REFERENCE_DAY

API = "/api/v1"


@pytest.mark.django_db
def test_the_schema_is_served_at_a_stable_url(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/categories",
        "/api/v1/days",
        "/api/v1/days/{date}",
        "/api/v1/days/{date}/papers",
        "/api/v1/papers/{arxiv_id}",
        "/api/v1/search",
    } <= set(schema["paths"])
    assert client.get(f"{API}/docs").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/categories", 1),
        ("/days", 3),  # count, page, category slugs
        ("/days/2024-11-14", 3),  # day, category slugs, summaries
        ("/days/2024-11-14/papers", 3),  # day, count, page
        ("/days/2024-11-14/papers?category=computer-vision", 3),
        ("/papers/2411.07975", 2),  # paper, its published days
        ("/search?q=diffusion", 2),  # capped count, page
    ],
)
def test_each_endpoint_has_a_pinned_query_count(
    client, reference_day, django_assert_num_queries, path, queries
):
    with django_assert_num_queries(queries):
        response = client.get(API + path)
    assert response.status_code == 200, response.content
    assert set(response["Cache-Control"].split(", ")) == {"max-age=300", "public"}
    assert response["ETag"]


@pytest.mark.django_db
def test_days_with_category_counts_and_summaries(client, reference_day):
    days = client.get(f"{API}/days").json()
    assert days["count"] == 1 and days["pages"] == 1 and days["next"] is None
    [day] = days["results"]
    assert day["date"] == "2024-11-14" and day["papers"] == 12
    assert sum(c["count"] for c in day["categories"]) == 12
    assert day["url"].endswith(reverse("day", args=[REFERENCE_DAY]))
    detail = client.get(f"{API}/days/2024-11-14").json()
    assert detail["summaries"] and all(s["language"] == "ko" for s in detail["summaries"])
    assert {s["category"] for s in detail["summaries"]} == {c["slug"] for c in day["categories"]}
    assert detail["summaries"][0]["findings"][0]["refs"]


@pytest.mark.django_db
def test_papers_paginate_and_link_their_pages(client, reference_day, monkeypatch):
    from api import v1

    monkeypatch.setattr(v1, "PAGE_SIZE", 5)
    first = client.get(f"{API}/days/2024-11-14/papers").json()
    assert (first["count"], first["pages"], len(first["results"])) == (12, 3, 5)
    assert first["previous"] is None and first["next"].endswith("page=2")
    last = client.get(f"{API}/days/2024-11-14/papers", {"page": 3}).json()
    assert len(last["results"]) == 2 and last["next"] is None
    assert client.get(f"{API}/days/2024-11-14/papers", {"page": 4}).status_code == 404
    upvotes = [p["upvotes"] for p in first["results"]]
    assert upvotes == sorted(upvotes, key=lambda u: -(u or -1))  # most popular first


@pytest.mark.django_db
def test_a_paper_and_what_is_not_published(client, reference_day):
    paper = client.get(f"{API}/papers/2411.07975").json()
    assert paper["days"] == ["2024-11-14"] and paper["category"] == "multimodal"
    DailyDigest.objects.update(published_at=None)
    assert client.get(f"{API}/papers/2411.07975").status_code == 404
    assert client.get(f"{API}/days/2024-11-14").status_code == 404
    assert client.get(f"{API}/days").json()["count"] == 0


@pytest.mark.django_db
def test_an_unchanged_response_is_a_304(client, reference_day):
    first = client.get(f"{API}/days/2024-11-14")
    again = client.get(f"{API}/days/2024-11-14", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and not again.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/days/2024-13-45", 422),
        ("/days/not-a-date/papers", 422),
        ("/days?page=0", 422),
        ("/days?page=99999999999999999999", 422),
        ("/search?q=" + "x" * 201, 422),
        ("/search", 422),
        ("/search?q=%00%00", 200),
        ("/search?q=%3Cscript%3E", 200),
        ("/papers/%00", 404),
        ("/papers/" + "1" * 500, 404),
        ("/papers/hep-th/9901001", 404),
        ("/days/2024-11-14/papers?category=%3Cscript%3E", 422),
        ("/days/2024-11-14?language=xx", 422),
    ],
)
def test_hostile_input_gets_a_clear_error(client, reference_day, path, status):
    response = client.get(API + path)
    assert response.status_code == status, response.content
    if status != 200:
        assert response.json()["detail"]
    assert b"<script>" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/papers/x%0A", "/nothing-here", "/../v2/days"])
def test_paths_no_route_takes_get_a_json_404(client, path):
    response = client.get(API + path)
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
