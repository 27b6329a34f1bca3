"""Charts drawn on the server as SVG: no JavaScript charting library, nothing from a CDN.

Each function takes plain data and returns a self-contained ``<svg>`` document; every text is
XML-escaped, so data can never inject markup into the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 640
ENTERED = "#2563eb"
LEFT = "#f59e0b"
BAR = "#0f766e"
MUTED = "#64748b"


def _svg(height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def entries_chart(rows: Sequence[Mapping[str, Any]], end: dt.date, days: int) -> str:
    """Entries into (blue) and exits from (amber) strike-off per day for ``days`` days."""
    by_day = {row["period"]: (int(row["entered"]), int(row["left"])) for row in rows}
    dates = [end - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    peak = max([1, *(max(by_day.get(day, (0, 0))) for day in dates)])
    height, top, bottom, left = 240, 30, 200, 40
    slot = (WIDTH - left - 10) / len(dates)
    bar = max(slot / 2 - 1, 1)
    body = [
        f'<text x="{left}" y="18" font-weight="600">Strike-off entries and exits per day</text>',
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="{MUTED}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{peak}</text>',
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    for index, day in enumerate(dates):
        entered, left_count = by_day.get(day, (0, 0))
        x = left + index * slot
        for offset, value, colour, label in (
            (0.0, entered, ENTERED, "entered"),
            (bar, left_count, LEFT, "left"),
        ):
            h = (bottom - top) * value / peak
            body.append(
                f'<rect class="bar-{label}" x="{x + offset:.1f}" y="{bottom - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{day.isoformat()}: {value} {label}</title></rect>"
            )
        if index % max(len(dates) // 6, 1) == 0:
            body.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" fill="{MUTED}">{day.strftime("%d %b")}</text>'
            )
    body.append(
        f'<rect x="{WIDTH - 170}" y="8" width="10" height="10" fill="{ENTERED}"/>'
        f'<text x="{WIDTH - 155}" y="17">entered</text>'
        f'<rect x="{WIDTH - 95}" y="8" width="10" height="10" fill="{LEFT}"/>'
        f'<text x="{WIDTH - 80}" y="17">left</text>'
    )
    return _svg(height, body, "Strike-off entries and exits per day")


def bar_chart(title: str, items: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, one per (label, value)."""
    row_height, top, label_width = 22, 30, 230
    height = top + row_height * max(len(items), 1) + 10
    peak = max([1, *(value for _, value in items)])
    body = [f'<text x="0" y="18" font-weight="600">{escape(title)}</text>']
    if not items:
        body.append(f'<text x="0" y="{top + 14}" fill="{MUTED}">no data yet</text>')
    for index, (label, value) in enumerate(items):
        y = top + index * row_height
        w = (WIDTH - label_width - 60) * value / peak
        body.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end">'
            f"{escape(label[:36])}</text>"
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{w:.1f}" height="15" '
            f'fill="{BAR}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + 14}">{value}</text>'
        )
    return _svg(height, body, title)


def _gauge(cx: int, label: str, used: float, total: float, detail: str) -> str:
    fraction = 0.0 if total <= 0 else max(0.0, min(used / total, 1.0))
    radius, cy = 70, 110
    # A half-circle dial: the value arc is drawn with a dash of its share of the half perimeter.
    half = 3.14159265 * radius
    colour = "#dc2626" if fraction >= 0.9 else "#f59e0b" if fraction >= 0.7 else BAR
    arc = f"M {cx - radius} {cy} A {radius} {radius} 0 0 1 {cx + radius} {cy}"
    return (
        f'<path d="{arc}" fill="none" stroke="#e2e8f0" stroke-width="18"/>'
        f'<path class="gauge-value" d="{arc}" fill="none" stroke="{colour}" stroke-width="18" '
        f'stroke-dasharray="{half * fraction:.1f} {half:.1f}"/>'
        f'<text x="{cx}" y="{cy - 8}" text-anchor="middle" font-size="20" font-weight="600">'
        f"{fraction * 100:.0f}%</text>"
        f'<text x="{cx}" y="{cy + 22}" text-anchor="middle" font-weight="600">'
        f"{escape(label)}</text>"
        f'<text x="{cx}" y="{cy + 40}" text-anchor="middle" fill="{MUTED}">{escape(detail)}</text>'
    )


def gauges(credits: Mapping[str, Any] | None, gateway: Mapping[str, Any] | None) -> str:
    """Two dials: Snov.io credits used of the budget, Companies House calls used of the window."""
    body = []
    if credits:
        used = float(credits.get("charged", 0)) + float(credits.get("reserved", 0))
        budget = float(credits.get("budget", 0))
        state = " (paused)" if credits.get("paused") else ""
        body.append(
            _gauge(160, "Snov.io credits", used, budget, f"{used:.0f} of {budget:.0f}{state}")
        )
    else:
        body.append(_gauge(160, "Snov.io credits", 0, 0, "no report yet"))
    if gateway:
        used = float(gateway.get("used_in_window", 0))
        limit = float(gateway.get("limit", 0))
        window = float(gateway.get("window_seconds", 0))
        breaker = gateway.get("breaker", "")
        body.append(
            _gauge(
                480,
                "Companies House quota",
                used,
                limit,
                f"{used:.0f} of {limit:.0f} per {window:.0f} s, breaker {breaker}",
            )
        )
    else:
        body.append(_gauge(480, "Companies House quota", 0, 0, "no report yet"))
    return _svg(170, body, "Credit and quota gauges")
