"""The paper list's filters for editors: the review queue and the confidence bands."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from papers import assignment

HIGH_CONFIDENCE = 0.8


class ReviewQueue(admin.SimpleListFilter):
    title = _("review queue")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        below = f"{settings.DIGEST_REVIEW_BELOW:.2f}"
        return [("yes", gettext("Machine decisions below %(below)s") % {"below": below})]

    def queryset(self, request, queryset):
        return assignment.review_queue(queryset) if self.value() == "yes" else queryset


class ConfidenceBand(admin.SimpleListFilter):
    title = _("confidence")
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        low, high = f"{settings.DIGEST_REVIEW_BELOW:.2f}", f"{HIGH_CONFIDENCE:.2f}"
        return [
            ("low", gettext("low (below %(low)s)") % {"low": low}),
            ("medium", gettext("medium (%(low)s to %(high)s)") % {"low": low, "high": high}),
            ("high", gettext("high (%(high)s and above)") % {"high": high}),
            ("none", gettext("none")),
        ]

    def queryset(self, request, queryset):
        low = settings.DIGEST_REVIEW_BELOW
        bands = {
            "low": {"category_confidence__lt": low},
            "medium": {"category_confidence__gte": low, "category_confidence__lt": HIGH_CONFIDENCE},
            "high": {"category_confidence__gte": HIGH_CONFIDENCE},
            "none": {"category_confidence__isnull": True},
        }
        return queryset.filter(**bands[self.value()]) if self.value() in bands else queryset
