"""The day's category distribution: computed once at publish, drawn by Plotly on the page."""

from collections import Counter

from django.utils.html import escape

TITLES_PER_SLICE = 5


def distribution(papers) -> list[dict]:
    """One slice per category, largest first, with its top titles (most upvoted first).

    `papers` must be ordered by popularity and have their category loaded.
    """
    counts = Counter(p.category for p in papers)
    titles: dict = {category: [] for category in counts}
    for paper in papers:
        if len(titles[paper.category]) < TITLES_PER_SLICE:
            titles[paper.category].append(paper.title)
    ordered = sorted(counts, key=lambda c: (-counts[c], c.order, c.slug))
    return [
        {
            "slug": c.slug,
            "name": c.name,
            "name_ko": c.name_ko,
            "emoji": c.emoji,
            "color": c.color,
            "count": counts[c],
            "titles": titles[c],
        }
        for c in ordered
    ]


def plotly_figure(slices: list[dict], language: str) -> dict:
    """A Plotly pie figure (as JSON-ready data) for the page's chart script."""
    labels = [f"{s['emoji']} {s['name_ko'] if language == 'ko' else s['name']}" for s in slices]
    # Plotly renders hover text as HTML-like markup, so titles are escaped.
    hover = ["<br>".join(escape(t) for t in s["titles"]) for s in slices]
    return {
        "data": [
            {
                "type": "pie",
                "labels": labels,
                "values": [s["count"] for s in slices],
                "customdata": [s["slug"] for s in slices],
                "hovertext": hover,
                "hovertemplate": "<b>%{label}</b><br>%{value} (%{percent})<br><br>%{hovertext}"
                "<extra></extra>",
                "marker": {"colors": [s["color"] for s in slices]},
                "sort": False,
                "direction": "clockwise",
                "textinfo": "percent",
            }
        ],
        "layout": {
            "margin": {"t": 10, "b": 10, "l": 10, "r": 10},
            "legend": {"orientation": "v"},
            "height": 420,
        },
    }
