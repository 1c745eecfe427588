"""Old category addresses: an editor may rename a category's slug (papers.models.Category keeps
the previous ones), and links, bookmarks and feed subscriptions to the old slug should still
lead to the category instead of answering 404."""

import functools

from django.http import Http404
from django.shortcuts import redirect

from papers.models import Category


def follow_renamed(url_name: str):
    """Wrap a view taking `slug`: where it finds no such category, a category that had that
    slug before answers with a permanent redirect to `url_name` at its current slug. The
    lookup happens only on that miss, so a served page costs nothing more."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, slug, **kwargs):
            try:
                response = view(request, *args, slug=slug, **kwargs)
            except Http404:
                response = None
            if response is not None and response.status_code != 404:
                return response
            category = Category.objects.renamed_from(slug)
            if category is None:
                if response is None:
                    raise Http404("No such category.")
                return response
            return redirect(url_name, *args, slug=category.slug, permanent=True, **kwargs)

        return wrapped

    return decorate
