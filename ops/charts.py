"""Server-rendered SVG charts (no JavaScript, no CDN). Each chart is paired with a data table
in the template; the SVG itself carries a title and is ``role="img"``."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH = 640
BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 170
SERIES_CLASSES = ("s1", "s2", "s3")


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def bar_chart(title: str, rows: list[dict], label: str, series: list[tuple[str, str]], *, limit=12):
    """Horizontal bars, one row per item, one bar per series (``(key, name)``) side by side."""
    rows = rows[:limit]
    peak = _nice_max(max((row[key] for row in rows for key, _ in series), default=0))
    band = BAR_HEIGHT * len(series) + BAR_GAP
    height = max(band * len(rows), band) + 28
    plot = WIDTH - LABEL_WIDTH - 60
    parts = []
    for i, row in enumerate(rows):
        y = i * band + 4
        parts.append(
            format_html(
                '<text class="lbl" x="{}" y="{}" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                f"{y + BAR_HEIGHT * len(series) / 2 + 4:.1f}",
                str(row[label])[:24],
            )
        )
        for j, (key, name) in enumerate(series):
            value = row[key]
            w = plot * value / peak if peak else 0
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>'
                    '<text class="val" x="{}" y="{}">{}</text>',
                    SERIES_CLASSES[j],
                    LABEL_WIDTH,
                    y + j * BAR_HEIGHT,
                    f"{w:.1f}",
                    BAR_HEIGHT - 2,
                    row[label],
                    value,
                    name,
                    f"{LABEL_WIDTH + w + 4:.1f}",
                    y + j * BAR_HEIGHT + BAR_HEIGHT - 5,
                    value,
                )
            )
    if not rows:
        parts.append(format_html('<text class="lbl" x="{}" y="20">No data</text>', LABEL_WIDTH))
    return _svg(title, height, mark_safe("".join(parts)), series)


def column_chart(title: str, rows: list[dict], label: str, series: list[tuple[str, str]]):
    """Lines over time (one point per row), e.g. created vs completed per day."""
    peak = _nice_max(max((row[key] for row in rows for key, _ in series), default=0))
    height, top, bottom, left = 220, 10, 30, 44
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    n = max(len(rows) - 1, 1)
    parts = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="lbl" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="lbl" x="{}" y="{}" text-anchor="end">0</text>',
            left,
            top + plot_h,
            left + plot_w,
            top + plot_h,
            left - 4,
            top + 8,
            peak,
            left - 4,
            top + plot_h,
        )
    ]
    for j, (key, name) in enumerate(series):
        points = " ".join(
            f"{left + plot_w * i / n:.1f},{top + plot_h - (plot_h * row[key] / peak if peak else 0):.1f}"
            for i, row in enumerate(rows)
        )
        parts.append(
            format_html(
                '<polyline class="line {}" points="{}"><title>{}</title></polyline>',
                SERIES_CLASSES[j],
                points,
                name,
            )
        )
    if rows:
        parts.append(
            format_html(
                '<text class="lbl" x="{}" y="{}">{}</text><text class="lbl" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                height - 8,
                rows[0][label],
                left + plot_w,
                height - 8,
                rows[-1][label],
            )
        )
    return _svg(title, height, mark_safe("".join(parts)), series)


def _svg(title: str, height: int, body, series):
    legend = format_html_join(
        "",
        '<span class="legend-item"><span class="swatch {}" aria-hidden="true"></span>{}</span>',
        ((SERIES_CLASSES[j], name) for j, (_, name) in enumerate(series)),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet">'
        "<title>{}</title>{}</svg>"
        '<div class="legend" aria-hidden="true">{}</div>',
        WIDTH,
        height,
        title,
        title,
        body,
        legend,
    )
