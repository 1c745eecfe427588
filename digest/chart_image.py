"""The day's category distribution as a PNG, like the reference product's `paper_<date>.png`.

A pie of the categories next to a legend listing each category's titles (for a big day its top
titles and how many more), drawn server-side by matplotlib's Agg backend from `DailyDigest.chart`
alone. NanumGothic (shipped by koreanize-matplotlib) is loaded from its file, so Hangul renders
without changing matplotlib's global configuration. Images are cached on disk under
MEDIA_ROOT, keyed by the date and a hash of the chart, so a changed chart gets a new image.
"""

import hashlib
import importlib.util
import io
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

# Bump when the drawing changes, so cached images are redrawn.
VERSION = 1
TITLE_CHARS = 110
# Above this many categories, a category lists fewer titles, so the image stays readable.
CROWDED = 8
TITLES = 5
TITLES_WHEN_CROWDED = 3
LABEL_MIN_SHARE = 0.04  # smaller slices are named in the legend only
SEPARATOR = "=" * 40


# matplotlib is imported where an image is drawn, not at start-up: web processes import this
# module through the URLconf, and most of them never draw (cached images are files).
@cache
def font() -> "FontProperties":
    """NanumGothic from the koreanize-matplotlib package, located without importing it
    (importing it would restyle every matplotlib figure in the process)."""
    from matplotlib.font_manager import FontProperties

    spec = importlib.util.find_spec("koreanize_matplotlib")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return FontProperties(fname=folder / "fonts" / "NanumGothic.ttf")


def chart_key(slices: list[dict]) -> str:
    """Changes exactly when the image would."""
    material = json.dumps([VERSION, slices], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def render_png(slices: list[dict], day) -> bytes:
    """The pie and its legend; `slices` as `digest.chart.distribution` computes them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    total = sum(s["count"] for s in slices)
    entries = legend(slices)
    lines = sum(entry.count("\n") + 1 for entry in entries)
    height = max(4.35, 0.75 + 0.19 * lines)
    figure = Figure(figsize=(14.7, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.03, (height - 4.0) / height / 2 + 0.02, 0.3, 3.6 / height))
    axes.set_title(f"Distribution · {day.isoformat()} · {total}편", fontproperties=font())
    if not slices:  # a day without papers: the title alone says so
        axes.set_axis_off()
        return _png(figure)
    wedges, *_ = axes.pie(
        [s["count"] for s in slices],
        labels=[s["name"] if s["count"] >= LABEL_MIN_SHARE * total else "" for s in slices],
        colors=[s["color"] for s in slices],
        autopct=lambda pct: f"{pct:.1f}%" if pct >= 100 * LABEL_MIN_SHARE else "",
        startangle=90,
        textprops={"fontproperties": font(), "fontsize": 9},
        wedgeprops={"linewidth": 0.5, "edgecolor": "white"},
    )
    figure.legend(
        wedges,
        entries,
        loc="upper left",
        bbox_to_anchor=(0.4, 0.99),
        title="Graph Information",
        prop=font().copy(),
        title_fontproperties=font(),
        labelspacing=0.6,
    )
    return _png(figure)


def _png(figure: "Figure") -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.15)
    return buffer.getvalue()


def legend(slices: list[dict]) -> list[str]:
    """One entry per category: its names and count, its top titles, and how many more."""
    per_category = TITLES_WHEN_CROWDED if len(slices) > CROWDED else TITLES
    entries = []
    for slice_ in slices:
        titles = [_shorten(title) for title in slice_["titles"][:per_category]]
        lines = [SEPARATOR, f"{slice_['name']} · {slice_['name_ko']} ({slice_['count']}):"]
        lines += [f" - {title}" for title in titles]
        if slice_["count"] > len(titles):
            lines.append(f"   … 외 {slice_['count'] - len(titles)}편")
        entries.append("\n".join(lines))
    return entries


def _shorten(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def cached_png(digest) -> Path:
    """The digest's chart image on disk, drawn on first use and after the chart changes."""
    folder = Path(settings.MEDIA_ROOT) / "charts"
    path = folder / f"paper_{digest.date.isoformat()}_{chart_key(digest.chart)}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    png = render_png(digest.chart, digest.date)
    # Write then rename, so a concurrent reader never sees half an image.
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
        handle.write(png)
    os.replace(handle.name, path)
    for stale in folder.glob(f"paper_{digest.date.isoformat()}_*.png"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return path
