"""The day's category distribution: computed once at publish, drawn by Plotly on the page."""

from collections import Counter

from django.utils.html import escape
from django.utils.translation import gettext

TITLES_PER_SLICE = 5


def distribution(papers) -> list[dict]:
    """One slice per category, largest first, with its top titles (most upvoted first).

    A slice names its category by id (an editor may change the slug), and keeps the name,
    Korean name, emoji and colour the category had when the day was published.
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
            "category": c.pk,
            "name": c.name,
            "name_ko": c.name_ko,
            "emoji": c.emoji,
            "color": c.color,
            "count": counts[c],
            "titles": titles[c],
        }
        for c in ordered
    ]


def plotly_figure(slices: list[dict], language: str, anchors: dict[int, str]) -> dict:
    """A Plotly pie figure (as JSON-ready data) for the page's chart script; a click on a slice
    goes to `anchors[its category id]`, the id of its section on the page."""
    # Plotly renders labels and hover text as HTML-like markup, so both are escaped.
    labels = [
        escape(f"{s['emoji']} {s['name_ko'] if language == 'ko' else s['name']}") for s in slices
    ]
    hover = ["<br>".join(escape(t) for t in s["titles"]) for s in slices]
    return {
        "data": [
            {
                "type": "pie",
                "labels": labels,
                "values": [s["count"] for s in slices],
                "customdata": [anchors.get(s["category"], "") for s in slices],
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


def trend_figure(category, weeks: list[tuple], language: str) -> dict:
    """A category's weekly share of all papers, as a Plotly bar chart.

    `weeks` is [(week start, [category papers, all papers]), …], oldest first; weeks without
    any published day have no bar rather than a misleading 0%.
    """
    shares = [round(100 * n / total, 1) if total else None for _, (n, total) in weeks]
    label = gettext("Share of the week's papers (%)")
    return {
        "data": [
            {
                "type": "bar",
                "x": [week.isoformat() for week, _ in weeks],
                "y": shares,
                "customdata": [[n, total] for _, (n, total) in weeks],
                "hovertemplate": escape(gettext("Week of %s") % "%{x}")
                + "<br>%{y}% (%{customdata[0]} / %{customdata[1]})<extra></extra>",
                "marker": {"color": category.color},
                "name": escape(category.display_name(language)),
            }
        ],
        "layout": {
            "margin": {"t": 10, "b": 40, "l": 50, "r": 10},
            "height": 300,
            "yaxis": {"title": {"text": escape(str(label))}, "rangemode": "tozero"},
            "xaxis": {"type": "date", "tickformat": "%Y-%m-%d"},
            "bargap": 0.15,
        },
    }
