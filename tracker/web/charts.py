"""Inline SVG charts drawn on the server: no JavaScript, no CDN, readable when printed.

Every label passes through markupsafe.escape before it joins the markup.
"""
from markupsafe import Markup, escape

GREEN, GREY, RED, BRAND, LINE = "#2e7d32", "#bdbdbd", "#c62828", "#b71c1c", "#ddd"


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    step = 10 ** (len(str(value)) - 1)
    return -(-value // step) * step


def rate_line(series: list[tuple[str, float, int]], *, title: str, width: int = 640, height: int = 240) -> Markup:
    """The cumulative 销号率 per week: series is [(label such as 12月1日, percent, cumulative 已销号)]."""
    if not series:
        return Markup('<p class="muted">暂无销号记录</p>')
    left, right, top, bottom = 44, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(series)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / 100

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, 50, 100):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{LINE}"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">{tick}%</text>')
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_, v, _) in enumerate(series))
    parts.append(f'<polyline fill="none" stroke="{BRAND}" stroke-width="2" points="{points}"/>')
    label_every = max(1, -(-n // 8))
    for i, (label, rate, cumulative) in enumerate(series):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(rate):.1f}" r="3" fill="{BRAND}">'
                     f"<title>{escape(label)}：累计销号{cumulative}项，销号率{rate:.1f}%</title></circle>")
        if i % label_every == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="11" class="chart-label">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def unit_bars(rows, *, title: str, width: int = 640, bar: int = 18, gap: int = 8) -> Markup:
    """One bar per unit: its tasks, the 已销号 part green, the overdue part red, the rest grey."""
    if not rows:
        return Markup('<p class="muted">暂无整改任务</p>')
    label_w, right = 150, 60
    plot_w = width - label_w - right
    top = 8
    height = top + len(rows) * (bar + gap) + 8
    most = max(r.tasks for r in rows) or 1
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, r in enumerate(rows):
        y = top + i * (bar + gap)
        scale = plot_w / most
        closed_w, overdue_w = r.closed * scale, min(r.overdue, r.tasks - r.closed) * scale
        rest_w = max(0.0, r.tasks * scale - closed_w - overdue_w)
        name = r.name if len(r.name) <= 10 else r.name[:9] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar - 4}" text-anchor="end" font-size="12">'
                     f"{escape(name)}<title>{escape(r.name)}</title></text>")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{closed_w:.1f}" height="{bar}" fill="{GREEN}"/>')
        parts.append(f'<rect x="{label_w + closed_w:.1f}" y="{y}" width="{overdue_w:.1f}" height="{bar}" '
                     f'fill="{RED}"/>')
        parts.append(f'<rect x="{label_w + closed_w + overdue_w:.1f}" y="{y}" width="{rest_w:.1f}" '
                     f'height="{bar}" fill="{GREY}"/>')
        parts.append(f'<text x="{label_w + r.tasks * scale + 4:.1f}" y="{y + bar - 4}" font-size="12">'
                     f"{r.closed}/{r.tasks}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
