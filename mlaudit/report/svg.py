"""Inline SVG charts for the self-contained HTML report (drawing only, no statistics).

Every function returns one complete ``<svg>`` element as a string: explicit ``width``/``height``
and ``viewBox``, ``role="img"``, an ``aria-label`` and a ``<title>`` describing the chart. The
charts need no network, no JavaScript and no fonts beyond ``sans-serif``; they print to PDF.

Rules kept throughout:

* every string that comes from data (labels, titles) is XML-escaped with ``html.escape`` after
  dropping the control characters XML cannot hold, so a label ``<script>`` is shown as text;
* numbers may be ``None``, NaN or infinite, meaning missing: nothing is drawn for them and no
  function raises on them, on ragged lists or on empty input;
* colour is never the only signal: reference bars are outlined, current bars solid; series differ
  by dash and marker too; heatmap statuses carry a glyph; findings are hatched and bold; every
  legend uses words. The palette is Okabe-Ito (colour-blind safe);
* output is compact: coordinates rounded to one decimal, no whitespace between elements, so the
  whole report stays small (a 50 x 30 heatmap plus 50 histograms is a few hundred KB).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

__all__ = [
    "CURRENT",
    "FAIL",
    "GREY",
    "PASS",
    "REFERENCE",
    "SVG_NS",
    "bars",
    "heatmap",
    "histogram",
    "lines",
    "reliability",
    "sparkline",
    "text_sparkline",
]

SVG_NS = "http://www.w3.org/2000/svg"

# Okabe-Ito
REFERENCE = "#0072B2"
CURRENT = "#E69F00"
FAIL = "#D55E00"
PASS = "#009E73"
GREY = "#999999"
INK = "#222"
GRID = "#E5E5E5"
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
_DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "10 4")
_MARKERS = ("circle", "square", "triangle", "diamond", "down", "cross")
# Sequential YlGnBu ramp (ColorBrewer): lightness falls monotonically, readable without hue.
_RAMP = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
_BLOCKS = "▁▂▃▄▅▆▇█"
_STATUS_GLYPH = {"fail": "×", "warn": "!", "error": "?"}

_FONT_W = 6.0  # rough width of one character at font-size 10
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ID_SLOT = "\x00id\x00"  # placeholder for a per-chart id; control characters never survive _esc


# ---------------------------------------------------------------------------------------- helpers


def _f(v: object) -> float | None:
    """A finite float, or None for None / NaN / inf / anything that is not a real number."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def _floats(seq: object, n: int) -> list[float | None]:
    """`seq` as exactly `n` finite-or-None numbers (short, ragged or missing input padded with None)."""
    out: list[float | None] = [None] * n
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__getitem__") or not hasattr(seq, "__len__"):
        return out
    for i in range(min(n, len(seq))):
        try:
            out[i] = _f(seq[i])
        except Exception:  # a strange container must not break the report
            out[i] = None
    return out


def _str(text: object) -> str:
    s = "" if text is None else str(text)
    return _BAD_XML.sub("\ufffd", s)


def _esc(text: object, limit: int | None = None) -> str:
    """XML-escaped text (control characters replaced), cut to `limit` characters by an ellipsis in the middle.

    The middle, because names that share a long prefix (feature_..._01, feature_..._02) differ at the end.
    """
    s = _str(text)
    if limit is not None and len(s) > limit:
        keep = max(2, limit) - 1
        head = (keep + 1) // 2
        s = s[:head] + "…" + s[len(s) - (keep - head):]
    return escape(s, quote=True)


def _labels(seq: object) -> list[str]:
    """Labels as clean strings (None -> ''); anything that is not a list of labels -> []."""
    if isinstance(seq, (str, bytes)) or not isinstance(seq, Iterable):
        return []
    return [_str(s) for s in seq]


def _n(v: float) -> str:
    """A coordinate rounded to one decimal, without a trailing '.0' (and never '-0')."""
    r = round(v, 1)
    if r == int(r):
        return str(int(r))
    return f"{r:.1f}"


def _fmt(v: float | None) -> str:
    """A value for people: 3 significant digits."""
    if v is None:
        return "n/a"
    return f"{v:.3g}"


def _pct(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v * 100:.1f}%"


def _svg(width: float, height: float, label: str, body: str) -> str:
    w, h = _n(width), _n(height)
    t = _esc(label)
    svg = (
        f'<svg xmlns="{SVG_NS}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
        f'font-family="sans-serif" font-size="10"><title>{t}</title>{body}</svg>'
    )
    if _ID_SLOT in svg:  # ids must be unique within the HTML page yet deterministic: hash the chart
        digest = hashlib.sha1(svg.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
        svg = svg.replace(_ID_SLOT, f"m{digest}")
    return svg


def _text(x: float, y: float, text: object, attrs: str = "", limit: int | None = None) -> str:
    """A <text>; when `limit` truncates it, the full text rides along as a tooltip."""
    a = f" {attrs}" if attrs else ""
    full = _str(text)
    tip = f"<title>{_esc(full)}</title>" if limit is not None and len(full) > limit else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{a}>{tip}{_esc(text, limit)}</text>'


def _heading(title: object, width: float) -> str:
    limit = max(8, int((width - 12) / 6.6))
    return _text(6, 14, title, 'font-size="11" font-weight="bold"', limit)


def _nice_step(span: float, target: int = 4) -> float:
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag * (1 + 1e-9):
            return m * mag
    return 10 * mag


def _domain(vals: Sequence[float], include_zero: bool = False) -> tuple[float, float, float]:
    """A nice (low, high, step) covering `vals` (never empty, never zero-width)."""
    pool = [max(-1e300, min(1e300, v)) for v in vals] + ([0.0] if include_zero else [])  # room for padding
    if not pool:
        return 0.0, 1.0, 0.25
    lo, hi = min(pool), max(pool)
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
        if include_zero and min(vals or [0.0]) >= 0:
            lo = max(lo, 0.0)
    step = _nice_step(hi - lo)
    nlo, nhi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if nhi <= nlo:
        nhi = nlo + step
    return nlo, nhi, step


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    ratio = (hi / 2 - lo / 2) / step * 2
    if not math.isfinite(ratio):  # a span beyond float range: just the ends
        return [lo, hi]
    count = round(ratio)
    return [round(lo + i * step, 12) for i in range(min(count, 20) + 1)]


def _unit(v: float, lo: float, hi: float) -> float:
    """Where `v` sits between `lo` and `hi` (0..1), without overflowing on huge spans."""
    span = hi / 2 - lo / 2
    if not span > 0:
        return 0.5
    t = (v / 2 - lo / 2) / span
    return t if math.isfinite(t) else 0.5


def _tick_label(v: float) -> str:
    return f"{round(v, 10):.4g}"


def _no_data(x: float, y: float) -> str:
    return _text(x, y, "no data", f'fill="{GREY}" text-anchor="middle"')


def _thin_step(n: int, capacity: float) -> int:
    return max(1, math.ceil(n / max(1.0, capacity)))


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _ramp(t: float) -> str:
    t = min(1.0, max(0.0, t))
    pos = t * (len(_RAMP) - 1)
    i = min(int(pos), len(_RAMP) - 2)
    frac = pos - i
    a, b = _hex(_RAMP[i]), _hex(_RAMP[i + 1])
    rgb = (round(a[k] + (b[k] - a[k]) * frac) for k in range(3))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Contiguous runs of present points (a missing point breaks the line)."""
    runs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for p in points:
        if p is None:
            if cur:
                runs.append(cur)
            cur = []
        else:
            cur.append(p)
    if cur:
        runs.append(cur)
    return runs


def _polyline(run: Sequence[tuple[float, float]]) -> str:
    head = f"M{_n(run[0][0])} {_n(run[0][1])}"
    if len(run) == 1:
        return head
    return head + "L" + " ".join(f"{_n(x)} {_n(y)}" for x, y in run[1:])


def _marker(kind: str, x: float, y: float, size: float = 3.0) -> str:
    s = size
    if kind == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(s)}"/>'
    if kind == "square":
        return f'<rect x="{_n(x - s * 0.85)}" y="{_n(y - s * 0.85)}" width="{_n(s * 1.7)}" height="{_n(s * 1.7)}"/>'
    if kind == "triangle":
        return f'<path d="M{_n(x)} {_n(y - s)}l{_n(s)} {_n(s * 1.8)}h{_n(-2 * s)}z"/>'
    if kind == "down":
        return f'<path d="M{_n(x)} {_n(y + s)}l{_n(s)} {_n(-s * 1.8)}h{_n(-2 * s)}z"/>'
    if kind == "diamond":
        return f'<path d="M{_n(x)} {_n(y - s)}l{_n(s)} {_n(s)} {_n(-s)} {_n(s)} {_n(-s)} {_n(-s)}z"/>'
    # cross: drawn with the series colour as stroke
    return (
        f'<path d="M{_n(x - s)} {_n(y - s)}l{_n(2 * s)} {_n(2 * s)}m0 {_n(-2 * s)}l{_n(-2 * s)} {_n(2 * s)}" '
        f'stroke-width="1.5" stroke="currentColor"/>'
    )


# -------------------------------------------------------------------------------------- histogram


def _shares(counts: object, n: int) -> list[float | None]:
    """Counts normalised to sum 1; negative counts are treated as missing; all-missing/zero -> all None."""
    vals = [v if v is not None and v >= 0 else None for v in _floats(counts, n)]
    total = sum(v for v in vals if v is not None)
    if not total > 0:
        return [None] * n
    return [None if v is None else v / total for v in vals]


def histogram(labels: Sequence[str], reference: Sequence[float | None], current: Sequence[float | None],
              title: str) -> str:
    """Grouped bars of reference vs current shares per bin (each side normalised to sum 1).

    Reference bars are outlined (light fill, blue edge), current bars solid orange; the legend says
    which is which in words and each bin carries a tooltip with both percentages. Bin labels are
    rotated when they do not fit and thinned when there are many; a 'missing' bin is just a label.
    """
    names = _labels(labels)
    n = max(len(names), len(reference) if _sized(reference) else 0, len(current) if _sized(current) else 0)
    names += [""] * (n - len(names))
    ref, cur = _shares(reference, n), _shares(current, n)

    slot = 28.0 if n <= 12 else max(8.0, min(28.0, 480.0 / n))
    left, right, top, plot_h = 44.0, 10.0, 40.0, 120.0
    width = max(280.0, left + n * slot + right)
    plot_w = width - left - right
    slot = plot_w / n if n else plot_w
    longest = min(max((len(s) for s in names), default=0), 16)
    rotate = longest * _FONT_W > slot - 2
    step = _thin_step(n, plot_w / 12.0) if rotate else 1
    bottom = (longest * _FONT_W * 0.72 + 16.0) if rotate else 18.0
    height = top + plot_h + bottom
    base = top + plot_h

    present = [v for v in ref + cur if v is not None]
    peak = max(present, default=0.0)
    y_step = _nice_step(peak) if peak > 0 else 0.25
    y_max = math.ceil(peak / y_step - 1e-9) * y_step if peak > 0 else 1.0
    y_max = max(y_max, y_step)

    parts: list[str] = [_heading(title, width)]
    # legend, in words: outlined = reference, solid = current
    lx = left
    parts.append(f'<rect x="{_n(lx)}" y="22" width="10" height="10" fill="{REFERENCE}" fill-opacity=".2" '
                 f'stroke="{REFERENCE}"/>')
    parts.append(_text(lx + 14, 31, "reference (outlined)" + ("" if any(v is not None for v in ref) else ": no data")))
    lx += 14 + _FONT_W * (21 + (0 if any(v is not None for v in ref) else 9)) + 8
    parts.append(f'<rect x="{_n(lx)}" y="22" width="10" height="10" fill="{CURRENT}"/>')
    parts.append(_text(lx + 14, 31, "current (solid)" + ("" if any(v is not None for v in cur) else ": no data")))

    # grid and y axis (as %)
    grid, ylabels = [], []
    for t in _ticks(0.0, y_max, y_step):
        y = base - t / y_max * plot_h
        grid.append(f"M{_n(left)} {_n(y)}h{_n(plot_w)}")
        ylabels.append(_text(left - 4, y + 3.5, f"{round(t * 100, 8):.4g}%"))
    parts.append(f'<path d="{"".join(grid)}" stroke="{GRID}"/>')
    parts.append(f'<g text-anchor="end" fill="{INK}">{"".join(ylabels)}</g>')

    bw = slot * 0.4
    groups: dict[str, list[str]] = {"ref": [], "cur": []}
    xlabels: list[str] = []
    for i in range(n):
        x0 = left + i * slot
        for cls, word, share, x in (("ref", "reference", ref[i], x0 + slot * 0.1),
                                    ("cur", "current", cur[i], x0 + slot * 0.5)):
            if share is None:
                continue
            h = share / y_max * plot_h
            groups[cls].append(f'<rect x="{_n(x)}" y="{_n(base - h)}" width="{_n(bw)}" height="{_n(h)}">'
                               f"<title>{_esc(names[i])}: {word} {_pct(share)}</title></rect>")
        if i % step == 0:
            cx = x0 + slot / 2
            if rotate:
                cy = base + 10
                xlabels.append(f'<text transform="translate({_n(cx)} {_n(cy)})rotate(-45)">{_esc(names[i], 16)}</text>')
            else:
                xlabels.append(_text(cx, base + 13, names[i], limit=16))
    parts.append(f'<g class="ref" fill="{REFERENCE}" fill-opacity=".2" stroke="{REFERENCE}">'
                 f'{"".join(groups["ref"])}</g>')
    parts.append(f'<g class="cur" fill="{CURRENT}">{"".join(groups["cur"])}</g>')
    parts.append(f'<path d="M{_n(left)} {_n(base)}h{_n(plot_w)}" stroke="{INK}"/>')
    anchor = "end" if rotate else "middle"
    parts.append(f'<g text-anchor="{anchor}" font-size="9">{"".join(xlabels)}</g>')
    if n == 0 or not present:
        parts.append(_no_data(left + plot_w / 2, top + plot_h / 2))

    label = f"Histogram: {_str(title)}. Reference versus current share per bin, {n} bins"
    return _svg(width, height, label, "".join(parts))


def _sized(seq: object) -> bool:
    return not isinstance(seq, (str, bytes)) and hasattr(seq, "__len__")


# ---------------------------------------------------------------------------------------- heatmap


def _status(s: object) -> str:
    v = getattr(s, "value", s)
    return v.lower() if isinstance(v, str) else ""


def heatmap(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]],
            statuses: Sequence[Sequence[str | None]] | None, title: str,
            onset: Mapping[str, str] | None = None) -> str:
    """Features (rows) x time chunks (columns): cell colour by value on a sequential scale.

    Warn and fail cells also carry a glyph ('!' / '×', '?' for error); `onset[row] = column`
    outlines the first drifted chunk in black; missing cells are white with a grey diagonal.
    Each cell has a tooltip with row, column, value and status. Column labels are thinned.
    """
    rnames, cnames = _labels(rows), _labels(columns)
    nr, nc = len(rnames), len(cnames)
    grid_vals = [_floats(values[r] if _sized(values) and r < len(values) else None, nc) for r in range(nr)]
    stat: list[list[str]] = []
    for r in range(nr):
        row_s = statuses[r] if statuses is not None and _sized(statuses) and r < len(statuses) else None
        stat.append([
            _status(row_s[c]) if row_s is not None and _sized(row_s) and c < len(row_s) else "" for c in range(nc)
        ])

    # whole-pixel cells keep the coordinates short (the heatmap is the biggest chart in a report)
    cw = float(max(10, min(36, 560 // nc))) if nc else 14.0
    ch = 14.0
    label_w = float(max(40, round(min(max((len(s) for s in rnames), default=0), 28) * _FONT_W + 10)))
    top = 44.0
    longest_col = min(max((len(s) for s in cnames), default=0), 16)
    bottom = longest_col * _FONT_W * 0.72 + 18.0
    width = max(360.0, label_w + nc * cw + 12)
    height = top + nr * ch + bottom
    plot_bottom = top + nr * ch

    finite = [v for row in grid_vals for v in row if v is not None]
    lo = min(min(finite, default=0.0), 0.0)
    hi = max(finite, default=1.0)
    if hi <= lo:
        hi = lo + 1.0

    parts: list[str] = [_heading(title, width)]
    # legend: the scale with its ends, then the glyphs in words
    lx = 6.0
    parts.append(_text(lx, 33, _fmt(lo)))
    lx += len(_fmt(lo)) * _FONT_W + 4
    for k in range(5):
        parts.append(f'<rect x="{_n(lx + k * 10)}" y="24" width="10" height="10" fill="{_ramp(k / 4)}"/>')
    lx += 54
    parts.append(_text(lx, 33, _fmt(hi)))
    lx += len(_fmt(hi)) * _FONT_W + 12
    parts.append(_text(lx, 33, "× fail · ! warn · black outline = onset · diagonal = no data", f'fill="{INK}"'))

    cells: list[str] = []
    glyphs: list[str] = []
    diagonals: list[str] = []
    for r in range(nr):
        y = top + r * ch
        for c in range(nc):
            x = label_w + c * cw
            v = grid_vals[r][c]
            s = stat[r][c]
            if v is None:
                fill = "#fff"
                diagonals.append(f"M{_n(x + 2)} {_n(y + ch - 2)}L{_n(x + cw - 2)} {_n(y + 2)}")
            else:
                fill = _ramp(_unit(v, lo, hi))
            glyph = _STATUS_GLYPH.get(s)
            cell = f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cw)}" height="{_n(ch)}" fill="{fill}"'
            if glyph:  # tooltips only where a person will look: flagged cells (keeps 50 x 30 cells small)
                tip = f"{rnames[r]} · {cnames[c]}: {_fmt(v) if v is not None else 'no data'} ({s})"
                cells.append(f"{cell}><title>{_esc(tip)}</title></rect>")
            else:
                cells.append(cell + "/>")
            if glyph:
                dark = v is not None and _unit(v, lo, hi) > 0.55
                colour = ' fill="#fff"' if dark else ""  # white on dark cells, default black elsewhere
                glyphs.append(f'<text class="{s}" x="{_n(x + cw / 2)}" y="{_n(y + ch / 2 + 4)}"{colour}>'
                              f"{glyph}</text>")
    parts.append(f'<g class="cells" stroke="#fff" stroke-width=".5">{"".join(cells)}</g>')
    if diagonals:
        parts.append(f'<path d="{"".join(diagonals)}" stroke="#bbb"/>')
    if glyphs:
        parts.append(f'<g text-anchor="middle" font-weight="bold" font-size="11" pointer-events="none">'
                     f'{"".join(glyphs)}</g>')

    if onset:
        rindex: dict[str, int] = {}
        for i, name in enumerate(rnames):
            rindex.setdefault(name, i)
        cindex: dict[str, int] = {}
        for j, name in enumerate(cnames):
            cindex.setdefault(name, j)
        outlines: list[str] = []
        try:
            items = list(onset.items())
        except Exception:
            items = []
        for row_name, col_name in items:
            ri, ci = rindex.get(_str(row_name)), cindex.get(_str(col_name))
            if ri is None or ci is None:
                continue
            x, y = label_w + ci * cw, top + ri * ch
            outlines.append(f'<rect class="onset" x="{_n(x + 1)}" y="{_n(y + 1)}" width="{_n(cw - 2)}" '
                            f'height="{_n(ch - 2)}"><title>{_esc(f"{rnames[ri]}: drift starts {cnames[ci]}")}'
                            f"</title></rect>")
        if outlines:
            parts.append(f'<g fill="none" stroke="#000" stroke-width="2">{"".join(outlines)}</g>')

    rlabels = [_text(label_w - 4, top + r * ch + ch / 2 + 3.5, rnames[r], limit=28) for r in range(nr)]
    parts.append(f'<g text-anchor="end">{"".join(rlabels)}</g>')
    step = _thin_step(nc, min(15.0, nc * cw / 14.0))
    clabels = []
    for c in range(0, nc, step):
        cx, cy = label_w + c * cw + cw / 2, plot_bottom + 10
        clabels.append(f'<text x="{_n(cx)}" y="{_n(cy)}" transform="rotate(-45 {_n(cx)} {_n(cy)})">'
                       f"{_esc(cnames[c], 16)}</text>")
    parts.append(f'<g text-anchor="end" font-size="9">{"".join(clabels)}</g>')
    if nr == 0 or nc == 0:
        parts.append(_no_data(width / 2, top + 20))
        height = max(height, top + 40)

    fails = sum(s == "fail" for row in stat for s in row)
    warns = sum(s == "warn" for row in stat for s in row)
    label = (f"Heatmap: {_str(title)}. {nr} rows by {nc} columns; {fails} fail and {warns} warn cells"
             + (f"; drift onset marked for {len(onset)} rows" if onset else ""))
    return _svg(width, height, label, "".join(parts))


# ------------------------------------------------------------------------------------ reliability


def reliability(bins: Sequence[Mapping[str, Any]], title: str = "Reliability diagram") -> str:
    """Outcome rate vs mean score per score bin, against the diagonal of perfect calibration.

    Takes the ``reliability_diagram`` list (keys bin, rows, mean_score, outcome_rate). Point area
    grows with the bin's rows and each point is labelled ``n=rows`` (when few) and has a tooltip.
    """
    pts: list[tuple[float, float, float, str]] = []
    try:
        items = list(bins) if bins is not None else []
    except TypeError:
        items = []
    for b in items:
        if not isinstance(b, Mapping):
            continue
        ms, rate, rows = _f(b.get("mean_score")), _f(b.get("outcome_rate")), _f(b.get("rows"))
        if ms is None or rate is None or (rows is not None and rows <= 0):
            continue
        pts.append((min(1.0, max(0.0, ms)), min(1.0, max(0.0, rate)), rows or 0.0, _str(b.get("bin", ""))))
    pts.sort(key=lambda p: p[0])

    left, top, size = 44.0, 44.0, 200.0
    width, height = left + size + 16, top + size + 34
    base = top + size

    def sx(v: float) -> float:
        return left + v * size

    def sy(v: float) -> float:
        return base - v * size

    parts: list[str] = [_heading(title, width)]
    parts.append(f'<circle cx="{_n(left + 5)}" cy="27" r="4" fill="{REFERENCE}" fill-opacity=".7"/>')
    parts.append(_text(left + 13, 31, "observed (area ∝ rows)"))
    parts.append(f'<path d="M{_n(left + 150)} 27h16" stroke="{GREY}" stroke-dasharray="4 3"/>')
    parts.append(_text(left + 170, 31, "perfect"))
    grid, labels = [], []
    for t in _ticks(0.0, 1.0, 0.25):
        grid.append(f"M{_n(left)} {_n(sy(t))}h{_n(size)}M{_n(sx(t))} {_n(top)}v{_n(size)}")
        labels.append(_text(left - 4, sy(t) + 3.5, _tick_label(t), 'text-anchor="end"'))
        labels.append(_text(sx(t), base + 13, _tick_label(t), 'text-anchor="middle"'))
    parts.append(f'<path d="{"".join(grid)}" stroke="{GRID}"/>')
    parts.append(f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(size)}" height="{_n(size)}" fill="none" '
                 f'stroke="{INK}"/>')
    parts.append("".join(labels))
    parts.append(_text(left + size / 2, base + 28, "mean score", 'text-anchor="middle"'))
    parts.append(f'<text x="12" y="{_n(top + size / 2)}" transform="rotate(-90 12 {_n(top + size / 2)})" '
                 f'text-anchor="middle">outcome rate</text>')
    parts.append(f'<path d="M{_n(sx(0))} {_n(sy(0))}L{_n(sx(1))} {_n(sy(1))}" stroke="{GREY}" '
                 f'stroke-dasharray="4 3"><title>perfect calibration</title></path>')
    if pts:
        parts.append(f'<path d="{_polyline([(sx(p[0]), sy(p[1])) for p in pts])}" fill="none" stroke="{REFERENCE}"/>')
        most = max(p[2] for p in pts) or 1.0
        dots, notes = [], []
        for ms, rate, rows, name in pts:
            r = 2.5 + 5.5 * math.sqrt(rows / most) if rows else 2.5
            tip = f"bin {name}: {int(rows)} rows, mean score {ms:.3f}, outcome rate {rate:.3f}"
            dots.append(f'<circle cx="{_n(sx(ms))}" cy="{_n(sy(rate))}" r="{_n(r)}"><title>{_esc(tip)}</title>'
                        f"</circle>")
            if len(pts) <= 12:
                notes.append(_text(sx(ms) + r + 2, sy(rate) - r, f"n={int(rows)}"))
        parts.append(f'<g fill="{REFERENCE}" fill-opacity=".7" stroke="#fff" stroke-width=".5">{"".join(dots)}</g>')
        if notes:
            parts.append(f'<g font-size="8" fill="{INK}">{"".join(notes)}</g>')
    else:
        parts.append(_no_data(left + size / 2, top + size / 2))

    label = f"Reliability diagram: {_str(title)}. Outcome rate versus mean score in {len(pts)} bins; diagonal = perfect"
    return _svg(width, height, label, "".join(parts))


# ------------------------------------------------------------------------------------------ lines


def lines(x: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str,
          band: Mapping[str, tuple[Sequence[float | None], Sequence[float | None]]] | None = None,
          y_label: str = "") -> str:
    """One or more series over chunks, with optional shaded (low, high) bands keyed by series name.

    Series differ by colour, dash pattern and marker shape; a missing value breaks the line. The
    legend names each series (and its band). X labels are thinned to fit.
    """
    xs = _labels(x)
    n = len(xs)
    try:
        named = [(_str(k), _floats(v, n)) for k, v in (series or {}).items()]
    except Exception:
        named = []
    bands: list[tuple[str, list[float | None], list[float | None]]] = []
    try:
        for k, pair in (band or {}).items():
            lo_s, hi_s = (pair[0], pair[1]) if _sized(pair) and len(pair) >= 2 else (None, None)
            bands.append((_str(k), _floats(lo_s, n), _floats(hi_s, n)))
    except Exception:
        bands = []

    pool = [v for _, vs in named for v in vs if v is not None]
    pool += [v for _, lo_b, hi_b in bands for v in lo_b + hi_b if v is not None]
    y_lo, y_hi, y_step = _domain(pool)

    left = 52.0 if y_label else 40.0
    plot_w = max(240.0, min(560.0, n * 18.0))
    width = left + plot_w + 16
    # legend rows: wrap entries at the chart width
    entries = [(name, i) for i, (name, _) in enumerate(named)]
    legend_rows: list[list[tuple[str, int, float]]] = [[]]
    cursor = 6.0
    for name, i in entries:
        text = name[:24]
        has_band = any(b[0] == name for b in bands)
        w = 26 + len(text) * _FONT_W + (36 if has_band else 0) + 12
        if cursor + w > width and legend_rows[-1]:
            legend_rows.append([])
            cursor = 6.0
        legend_rows[-1].append((name, i, cursor))
        cursor += w
    top = 26.0 + 14.0 * len(legend_rows) + 6
    plot_h = 140.0
    base = top + plot_h
    height = base + 24

    colour_of = {name: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, (name, _) in enumerate(named)}

    def px(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else i * plot_w / (n - 1))

    def py(v: float) -> float:
        return base - _unit(v, y_lo, y_hi) * plot_h

    parts: list[str] = [_heading(title, width)]
    for r, row in enumerate(legend_rows):
        y = 26.0 + 14.0 * r
        for name, i, lx in row:
            colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            dash = _DASHES[i % len(_DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<path d="M{_n(lx)} {_n(y)}h20" stroke="{colour}" stroke-width="1.5"{dash_attr}/>')
            parts.append(f'<g fill="{colour}" color="{colour}">{_marker(_MARKERS[i % len(_MARKERS)], lx + 10, y)}</g>')
            parts.append(_text(lx + 24, y + 3.5, name, limit=24))
            if any(b[0] == name for b in bands):
                bx = lx + 24 + min(len(name), 24) * _FONT_W + 4
                parts.append(f'<rect x="{_n(bx)}" y="{_n(y - 5)}" width="10" height="10" fill="{colour}" '
                             f'fill-opacity=".18"/>')
                parts.append(_text(bx + 12, y + 3.5, "band"))

    grid, ylabels = [], []
    for t in _ticks(y_lo, y_hi, y_step):
        y = py(t)
        grid.append(f"M{_n(left)} {_n(y)}h{_n(plot_w)}")
        ylabels.append(_text(left - 4, y + 3.5, _tick_label(t)))
    parts.append(f'<path d="{"".join(grid)}" stroke="{GRID}"/>')
    parts.append(f'<g text-anchor="end">{"".join(ylabels)}</g>')
    parts.append(f'<path d="M{_n(left)} {_n(base)}h{_n(plot_w)}" stroke="{INK}"/>')
    if y_label:
        mid = top + plot_h / 2
        parts.append(f'<text x="10" y="{_n(mid)}" transform="rotate(-90 10 {_n(mid)})" text-anchor="middle">'
                     f"{_esc(y_label, 40)}</text>")

    for name, lo_b, hi_b in bands:
        colour = colour_of.get(name, GREY)
        pts: list[tuple[float, float, float] | None] = [
            (px(i), py(a), py(b)) if a is not None and b is not None else None
            for i, (a, b) in enumerate(zip(lo_b, hi_b, strict=True))
        ]
        shapes: list[str] = []
        run: list[tuple[float, float, float]] = []
        for p in [*pts, None]:
            if p is not None:
                run.append(p)
                continue
            if len(run) == 1:
                shapes.append(f"M{_n(run[0][0] - 1.5)} {_n(run[0][2])}h3V{_n(run[0][1])}h-3z")
            elif run:
                upper = " ".join(f"{_n(a)} {_n(c)}" for a, _, c in run)
                lower = " ".join(f"{_n(a)} {_n(b)}" for a, b, _ in reversed(run))
                shapes.append(f"M{upper}L{lower}z")
            run = []
        if shapes:
            parts.append(f'<path class="band" d="{"".join(shapes)}" fill="{colour}" fill-opacity=".18">'
                         f"<title>{_esc(name)} band</title></path>")

    for i, (name, vals) in enumerate(named):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        dash = _DASHES[i % len(_DASHES)]
        points = [(px(j), py(v)) if v is not None else None for j, v in enumerate(vals)]
        runs = _runs(points)
        d = "".join(_polyline(r) for r in runs if len(r) > 1)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        if d:
            parts.append(f'<path class="series" d="{d}" fill="none" stroke="{colour}" stroke-width="1.5"{dash_attr}>'
                         f"<title>{_esc(name)}</title></path>")
        kind = _MARKERS[i % len(_MARKERS)]
        marks = []
        for j, v in enumerate(vals):
            if v is None:
                continue
            isolated = (j == 0 or vals[j - 1] is None) and (j == n - 1 or vals[j + 1] is None)
            if n > 60 and not isolated:
                continue
            m = _marker(kind, px(j), py(v), 2.5)
            tip = f"<title>{_esc(f'{name} {xs[j]}: {_fmt(v)}')}</title>"
            marks.append(m[:-2] + ">" + tip + f"</{m[1:m.index(' ')]}>")
        if marks:
            parts.append(f'<g fill="{colour}" color="{colour}">{"".join(marks)}</g>')

    step = _thin_step(n, plot_w / (min(max((len(s) for s in xs), default=1), 12) * _FONT_W + 10))
    xlabels = []
    for i in range(0, n, step):
        anchor = "start" if n > 1 and i == 0 else ("end" if n > 1 and i == n - 1 else "middle")
        xlabels.append(_text(px(i), base + 13, xs[i], f'text-anchor="{anchor}"', limit=12))
    parts.append(f'<g font-size="9">{"".join(xlabels)}</g>')
    if not pool:
        parts.append(_no_data(left + plot_w / 2, top + plot_h / 2))

    label = (f"Line chart: {_str(title)}. {len(named)} series over {n} points"
             + (f": {', '.join(name for name, _ in named)}" if named else ""))
    return _svg(width, height, label, "".join(parts))


# ------------------------------------------------------------------------------------------- bars


def bars(labels: Sequence[str], values: Sequence[float | None], low: Sequence[float | None] | None,
         high: Sequence[float | None] | None, title: str, reference_line: float | None = None,
         highlight: Sequence[bool] | None = None) -> str:
    """Horizontal bars with interval whiskers, an optional vertical reference line and highlighted rows.

    A highlighted bar (a finding) is hatched and its label bold, so it stands out without colour;
    each row also prints its value and interval as text.
    """
    names = _labels(labels)
    n = len(names)
    vals, lows, highs = _floats(values, n), _floats(low, n), _floats(high, n)
    hl = [False] * n
    if highlight is not None and _sized(highlight):
        for i in range(min(n, len(highlight))):
            try:
                hl[i] = bool(highlight[i])
            except Exception:
                hl[i] = False
    ref = _f(reference_line)

    pool = [v for v in vals + lows + highs if v is not None] + ([ref] if ref is not None else [])
    lo, hi, step = _domain(pool, include_zero=True)

    label_w = max(40.0, min(max((len(s) for s in names), default=0), 28) * 6.4 + 12)
    plot_w, text_w = 260.0, 130.0
    top, row_h = 52.0, 18.0
    width = label_w + plot_w + text_w
    base = top + n * row_h
    height = base + 24

    def px(v: float) -> float:
        return label_w + _unit(v, lo, hi) * plot_w

    parts: list[str] = [_heading(title, width)]
    pid = _ID_SLOT
    parts.append(f'<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
                 f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{FAIL}"/>'
                 f'<path d="M0 0v6" stroke="#fff" stroke-width="2.5"/></pattern></defs>')
    # legend
    parts.append(f'<rect x="6" y="22" width="12" height="10" fill="{REFERENCE}"/>')
    parts.append(_text(22, 31, "value"))
    parts.append(f'<path d="M62 27h16M62 24v6M78 24v6" stroke="{INK}"/>')
    parts.append(_text(82, 31, "interval"))
    parts.append(f'<rect x="136" y="22" width="12" height="10" fill="url(#{pid})" stroke="{INK}"/>')
    parts.append(_text(152, 31, "hatched + bold = finding", 'font-weight="bold"'))
    if ref is not None:
        parts.append(f'<path d="M290 27h16" stroke="{INK}" stroke-dasharray="4 3" stroke-width="1.5"/>')
        parts.append(_text(310, 31, "whole population"))

    grid, xlabels = [], []
    for t in _ticks(lo, hi, step):
        grid.append(f"M{_n(px(t))} {_n(top - 4)}V{_n(base)}")
        xlabels.append(_text(px(t), base + 13, _tick_label(t)))
    parts.append(f'<path d="{"".join(grid)}" stroke="{GRID}"/>')
    parts.append(f'<g text-anchor="middle">{"".join(xlabels)}</g>')

    zero = px(min(max(0.0, lo), hi))
    rows: list[str] = []
    for i in range(n):
        y = top + i * row_h
        v, a, b = vals[i], lows[i], highs[i]
        interval = f" [{_fmt(a)}, {_fmt(b)}]" if a is not None or b is not None else ""
        value_text = (_fmt(v) if v is not None else "no data") + interval
        tip = f"{names[i]}: {value_text}" + (" (finding)" if hl[i] else "")
        g = [f"<title>{_esc(tip)}</title>"]
        weight = ' font-weight="bold"' if hl[i] else ""
        g.append(_text(label_w - 6, y + 12.5, names[i], f'text-anchor="end"{weight}', limit=28))
        if v is not None:
            x0, x1 = sorted((zero, px(v)))
            fill = f'fill="url(#{pid})" stroke="{INK}"' if hl[i] else f'fill="{REFERENCE}"'
            cls = "bar finding" if hl[i] else "bar"
            g.append(f'<rect class="{cls}" x="{_n(x0)}" y="{_n(y + 4)}" width="{_n(x1 - x0)}" height="10" {fill}/>')
        if a is not None and b is not None:
            xa, xb, ym = px(a), px(b), y + 9
            g.append(f'<path class="whisker" d="M{_n(xa)} {_n(ym)}H{_n(xb)}M{_n(xa)} {_n(ym - 4)}v8M{_n(xb)} '
                     f'{_n(ym - 4)}v8" stroke="{INK}" stroke-width="1.2"/>')
        colour = INK if v is not None else GREY
        g.append(f'<text x="{_n(label_w + plot_w + 6)}" y="{_n(y + 12.5)}" fill="{colour}"{weight}>'
                 f"{_esc(value_text)}</text>")
        rows.append(f"<g>{''.join(g)}</g>")
    parts.extend(rows)
    parts.append(f'<path d="M{_n(zero)} {_n(top - 4)}V{_n(base)}" stroke="{INK}"/>')
    if ref is not None:
        parts.append(f'<path class="reference" d="M{_n(px(ref))} {_n(top - 8)}V{_n(base)}" stroke="{INK}" '
                     f'stroke-dasharray="4 3" stroke-width="1.5"><title>{_esc(f"whole population: {_fmt(ref)}")}'
                     f"</title></path>")
        parts.append(_text(px(ref), top - 10, f"whole population {_fmt(ref)}", 'text-anchor="middle" font-size="9"'))
    if n == 0:
        parts.append(_no_data(label_w + plot_w / 2, top + 10))
        height = max(height, top + 44)

    findings = sum(hl)
    label = (f"Bar chart: {_str(title)}. {n} bars with intervals; {findings} highlighted as findings"
             + (f"; whole population {_fmt(ref)}" if ref is not None else ""))
    return _svg(width, height, label, "".join(parts))


# -------------------------------------------------------------------------------------- sparklines


def sparkline(values: Sequence[float | None], width: int = 80, height: int = 16) -> str:
    """A tiny inline line chart (no axes); the last value is marked with a dot, gaps break the line."""
    w = float(width) if _f(width) is not None and width > 0 else 80.0
    h = float(height) if _f(height) is not None and height > 0 else 16.0
    n = len(values) if _sized(values) else 0
    vals = _floats(values, n)
    present = [v for v in vals if v is not None]
    pad = 1.5
    parts: list[str] = []
    if present:
        lo, hi = min(present), max(present)

        def px(i: int) -> float:
            return w / 2 if n == 1 else pad + i * (w - 2 * pad) / (n - 1)

        def py(v: float) -> float:
            return h / 2 if hi == lo else h - pad - _unit(v, lo, hi) * (h - 2 * pad)

        runs = _runs([(px(i), py(v)) if v is not None else None for i, v in enumerate(vals)])
        d = "".join(_polyline(r) for r in runs if len(r) > 1)
        if d:
            parts.append(f'<path d="{d}" fill="none" stroke="{INK}" stroke-width="1"/>')
        for r in runs:
            if len(r) == 1:
                parts.append(f'<circle cx="{_n(r[0][0])}" cy="{_n(r[0][1])}" r="1" fill="{INK}"/>')
        last = max(i for i, v in enumerate(vals) if v is not None)
        lv = vals[last]
        if lv is not None:
            parts.append(f'<circle cx="{_n(px(last))}" cy="{_n(py(lv))}" r="1.5" fill="{FAIL}"/>')
        label = f"Trend of {n} values: min {_fmt(lo)}, max {_fmt(hi)}, last {_fmt(lv)}"
    else:
        parts.append(f'<path d="M{_n(pad)} {_n(h / 2)}H{_n(w - pad)}" stroke="{GREY}" stroke-dasharray="2 2"/>')
        label = "Trend: no data"
    return _svg(w, h, label, "".join(parts))


def text_sparkline(values: Sequence[float | None]) -> str:
    """A terminal sparkline of block characters: min -> '▁', max -> '█', missing -> ' ', constant -> flat."""
    n = len(values) if _sized(values) else 0
    vals = _floats(values, n)
    present = [v for v in vals if v is not None]
    if not present:
        return " " * n
    lo, hi = min(present), max(present)
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(_BLOCKS[3])
        else:
            out.append(_BLOCKS[min(7, max(0, round(_unit(v, lo, hi) * 7)))])
    return "".join(out)
