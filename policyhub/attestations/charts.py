"""Server-rendered SVG bar charts, so the dashboard needs no JavaScript."""

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 220
PLOT_WIDTH = 400
# Rows beyond this are in the table next to the chart, not drawn.
MAX_BARS = 30


def bar_chart(rows):
    """Return the geometry of a horizontal bar chart of (label, percent) rows."""
    bars = []
    for index, (label, percent) in enumerate(rows[:MAX_BARS]):
        y = index * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": label,
                "percent": percent,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "width": round(PLOT_WIDTH * max(0.0, min(percent, 100.0)) / 100, 1),
            }
        )
    return {
        "bars": bars,
        "label_width": LABEL_WIDTH,
        "plot_width": PLOT_WIDTH,
        "bar_height": BAR_HEIGHT,
        "width": LABEL_WIDTH + PLOT_WIDTH + 60,
        "height": max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
        "value_x": LABEL_WIDTH + PLOT_WIDTH + 6,
        "truncated": len(rows) > MAX_BARS,
    }
