"""Followers in the admin: subscribers (their addresses only for staff with the
`followers.view_subscriber_email` permission), deliveries per day and state, failures, and how
many subscribers follow each category."""

from django.contrib import admin
from django.db.models import Count, Q

from followers.models import Delivery, Subscriber
from papers.models import Category

EMAIL_PERMISSION = "followers.view_subscriber_email"


def masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", "Confirmed"), ("no", "Not confirmed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(confirmed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(confirmed_at__isnull=True)
        return queryset


class FailingFilter(admin.SimpleListFilter):
    title = "receiving"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "Failing (stopped)"), ("bouncing", "Bouncing"), ("no", "Receiving")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(failing_at__isnull=False)
        if self.value() == "bouncing":
            return queryset.filter(bounced_at__isnull=False, failing_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(failing_at__isnull=True)
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["pk", "masked_email", "language", "frequency", "confirmed_at", "failing_at"]
    list_filter = [ConfirmedFilter, FailingFilter, "frequency", "language", "categories"]
    fields = [
        "masked_email",
        "language",
        "frequency",
        "categories",
        "include",
        "exclude",
        "created_at",
        "confirmed_at",
        "bounced_at",
        "failing_at",
        "bounce_reason",
    ]
    readonly_fields = ["masked_email", "created_at", "confirmed_at", "bounced_at", "bounce_reason"]
    filter_horizontal = ["categories"]
    actions = ["clear_failing"]
    change_list_template = "admin/followers/subscriber/change_list.html"

    def has_add_permission(self, request):
        return False  # only the double opt-in creates subscriptions

    def _sees_email(self, request) -> bool:
        return request.user.has_perm(EMAIL_PERMISSION)

    def _swap(self, request, names):
        if not self._sees_email(request):
            return list(names)
        return ["email" if name == "masked_email" else name for name in names]

    def get_list_display(self, request):
        return self._swap(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._swap(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._swap(request, super().get_readonly_fields(request, obj))

    def get_search_fields(self, request):
        return ["email"] if self._sees_email(request) else []

    @admin.display(description="address")
    def masked_email(self, subscriber):
        return masked(subscriber.email)

    @admin.action(description="Clear the failing mark (send again)")
    def clear_failing(self, request, queryset):
        cleared = queryset.update(failing_at=None, bounced_at=None, bounce_reason="")
        self.message_user(request, f"{cleared} subscribers will receive the next issue.")

    def changelist_view(self, request, extra_context=None):
        receiving = Q(subscribers__confirmed_at__isnull=False, subscribers__failing_at__isnull=True)
        per_category = Category.objects.annotate(
            followers=Count("subscribers", filter=receiving)
        ).values_list("emoji", "name", "followers")
        everything = Subscriber.objects.receiving().filter(categories__isnull=True).count()
        extra_context = {
            **(extra_context or {}),
            "per_category": list(per_category),
            "every_category": everything,
        }
        return super().changelist_view(request, extra_context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "issue", "kind", "subscriber_id", "state", "attempts", "papers", "sent_at", "error"
    ]  # fmt: skip
    list_filter = ["state", "kind", "issue"]
    date_hierarchy = "issue"
    list_select_related = False
    readonly_fields = [f.name for f in Delivery._meta.fields]
    change_list_template = "admin/followers/delivery/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        states = [s for s, _ in Delivery.State.choices]
        rows = (
            Delivery.objects.values("issue", "kind")
            .annotate(**{s: Count("pk", filter=Q(state=s)) for s in states})
            .order_by("-issue", "kind")[:30]
        )
        extra_context = {**(extra_context or {}), "per_day": list(rows), "states": states}
        return super().changelist_view(request, extra_context)
