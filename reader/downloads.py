"""Downloads of a published day in the reference product's format (digest.export)."""

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header, quote_etag

from digest import chart_image
from digest.export import image_name, report_markdown, report_name
from digest.models import DailyDigest


def report_download(request, day):
    digest = get_object_or_404(DailyDigest.objects.published(), date=day)
    response = HttpResponse(report_markdown(digest), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, report_name(day))
    return response


def chart_download(request, day):
    """The chart image, revalidated by its key: a changed chart is a new ETag."""
    digest = get_object_or_404(DailyDigest.objects.published().only("date", "chart"), date=day)
    etag = quote_etag(chart_image.chart_key(digest.chart))
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = FileResponse(
            chart_image.cached_png(digest).open("rb"),
            content_type="image/png",
            filename=image_name(day),
        )
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=3600)
    return response
