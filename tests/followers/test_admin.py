"""The admin: addresses only with the permission; deliveries per issue; failures; subscribers
per category."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from followers.models import Delivery, Subscriber
from papers.models import Category


@pytest.fixture
def staff(client):
    user = User.objects.create_user("editor", password="x", is_staff=True)
    codenames = ["view_subscriber", "view_delivery", "change_subscriber"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.fixture
def subscribers(reference_day):
    one = Subscriber.objects.create(email="secret.reader@example.org", confirmed_at=timezone.now())
    one.categories.set([Category.objects.get(slug="llm")])
    Subscriber.objects.create(email="everything@example.org", confirmed_at=timezone.now())
    other = Subscriber.objects.get(email="everything@example.org")
    day = {"kind": "daily", "issue": reference_day}
    Delivery.objects.create(subscriber=one, message_id="<a@b>", state="sent", **day)
    Delivery.objects.create(
        subscriber=other, message_id="<c@d>", state="failed", error="550 no such user", **day
    )
    return one


@pytest.mark.django_db
def test_addresses_are_masked_without_the_permission(client, staff, subscribers):
    page = client.get(reverse("admin:followers_subscriber_changelist"))
    assert page.status_code == 200
    assert b"secret.reader@example.org" not in page.content and b"s***@example.org" in page.content
    detail = client.get(reverse("admin:followers_subscriber_change", args=[subscribers.pk]))
    assert b"secret.reader@example.org" not in detail.content
    assert b"Receiving subscribers per category" in page.content


@pytest.mark.django_db
def test_addresses_are_shown_with_the_permission(client, staff, subscribers):
    staff.user_permissions.add(Permission.objects.get(codename="view_subscriber_email"))
    page = client.get(reverse("admin:followers_subscriber_changelist"), {"q": "secret"})
    assert b"secret.reader@example.org" in page.content


@pytest.mark.django_db
def test_deliveries_per_issue_and_failures(
    client, staff, subscribers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:followers_delivery_changelist"))
    assert page.status_code == 200 and b"Deliveries per issue" in page.content
    failed = client.get(reverse("admin:followers_delivery_changelist"), {"state__exact": "failed"})
    assert b"550 no such user" in failed.content
