"""The subscription pages: thin views over followers.subscriptions and the signed tokens.

Every link in a mail opens a page with a button: link scanners that fetch GET requests never
confirm or delete anything. The one exception is RFC 8058's one-click unsubscribe, a POST
without a CSRF token by design (the signed token in its URL is the authorisation).
"""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from followers import email_text, emails, ratelimit, subscriptions, tokens
from followers.forms import ChoicesForm, SubscribeForm


def _send(subscriber_id: int, kind: str) -> None:
    from followers import tasks

    tasks.send_mail.delay(subscriber_id, kind)


def _invalid(request):
    return render(request, "followers/invalid.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "POST":
        if not ratelimit.allow_ip(ratelimit.client_ip(request)):
            return render(request, "followers/limited.html", status=429)
        form = SubscribeForm(request.POST)
        if form.is_valid():
            subscriptions.subscribe(form.cleaned_data["email"], form.choices(), _send)
            return redirect("followers-sent")
    else:
        form = SubscribeForm(initial={"language": request.LANGUAGE_CODE})
    return render(request, "followers/subscribe.html", {"form": form})


@never_cache
def sent(request):
    return render(request, "followers/sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    subscriber = tokens.read(token, tokens.CONFIRM)
    if subscriber is None:
        return _invalid(request)
    if request.method == "POST":
        subscriptions.confirm(subscriber)
        return redirect("followers-manage", token=tokens.make(subscriber, tokens.MANAGE))
    return render(request, "followers/confirm.html", {"confirmed": subscriber.is_confirmed})


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request, token):
    subscriber = tokens.read(token, tokens.MANAGE)
    if subscriber is None:
        return _invalid(request)
    saved = False
    if request.method == "POST":
        form = ChoicesForm(request.POST)
        if form.is_valid():
            subscriptions.apply(subscriber, form.choices())
            saved = True
    else:
        form = ChoicesForm(initial=ChoicesForm.initial_for(subscriber))
    context = {
        "form": form,
        "saved": saved,
        "subscriber": subscriber,
        "feed_rss": emails.link(subscriber, tokens.FEED),
        "feed_atom": email_text.absolute(
            reverse("followers-feed-atom", args=[tokens.make(subscriber, tokens.FEED)])
        ),
        "delete_url": reverse("followers-delete", args=[token]),
    }
    return render(request, "followers/manage.html", context)


@never_cache
@require_http_methods(["POST"])
def delete(request, token):
    subscriber = tokens.read(token, tokens.MANAGE)
    if subscriber is None:
        return _invalid(request)
    subscriptions.delete(subscriber)
    return render(request, "followers/deleted.html")


@never_cache
@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    subscriber = tokens.read(token, tokens.UNSUBSCRIBE)
    if request.method == "POST":
        if subscriber is not None:
            subscriptions.delete(subscriber)
        # Unsubscribed either way: a repeated one-click POST must not look like an error.
        return render(request, "followers/deleted.html")
    if subscriber is None:
        return _invalid(request)
    return render(request, "followers/unsubscribe.html")
