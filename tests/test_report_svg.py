"""The inline SVG charts of the HTML report: valid XML, accessible, escaped, robust, small."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from mlaudit.report import svg

NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script>"
NAN = float("nan")


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    title = root.find(f"{NS}title")
    assert title is not None and title.text
    for attr in ("width", "height", "viewBox"):
        assert root.get(attr)
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    return root


def all_text(root: ET.Element) -> str:
    return " ".join(t for t in root.itertext())


DAYS = [f"2026-10-{d:02d}" for d in range(1, 31)]

CHARTS: dict[str, Callable[[], str]] = {
    "histogram": lambda: svg.histogram(["a", "b", "missing"], [1, 2, 3], [3, 2, 1], "age"),
    "heatmap": lambda: svg.heatmap(["f1", "f2"], ["d1", "d2"], [[0.1, 0.2], [0.3, None]],
                                   [["pass", "warn"], ["fail", None]], "drift", {"f2": "d1"}),
    "reliability": lambda: svg.reliability([
        {"bin": "[0.00, 0.10)", "rows": 50, "mean_score": 0.05, "outcome_rate": 0.04},
        {"bin": "[0.90, 1.00]", "rows": 10, "mean_score": 0.95, "outcome_rate": 0.9},
    ]),
    "lines": lambda: svg.lines(["d1", "d2", "d3"], {"auc": [0.8, None, 0.82], "cbpe": [0.79, 0.8, 0.81]}, "perf",
                               band={"cbpe": ([0.77, 0.78, 0.79], [0.81, 0.82, 0.83])}, y_label="AUC"),
    "bars": lambda: svg.bars(["north", "south"], [0.8, 0.7], [0.75, 0.6], [0.85, 0.8], "AUC by slice",
                             reference_line=0.78, highlight=[False, True]),
    "sparkline": lambda: svg.sparkline([1.0, 2.0, None, 3.0]),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_is_an_accessible_svg(name: str) -> None:
    text = CHARTS[name]()
    parse(text)
    assert not text.startswith(" ") and "\n" not in text  # compact


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_output_is_deterministic(name: str) -> None:
    assert CHARTS[name]() == CHARTS[name]()


# ----------------------------------------------------------------------------------------- escaping


EVIL_CHARTS: dict[str, Callable[[], str]] = {
    "histogram": lambda: svg.histogram([EVIL, "ok"], [1, 2], [2, 1], EVIL),
    "heatmap": lambda: svg.heatmap([EVIL], [EVIL], [[0.5]], [["fail"]], EVIL, {EVIL: EVIL}),
    "reliability": lambda: svg.reliability([{"bin": EVIL, "rows": 3, "mean_score": 0.5, "outcome_rate": 0.4}],
                                           title=EVIL),
    "lines": lambda: svg.lines([EVIL, "d2"], {EVIL: [1.0, 2.0]}, EVIL, band={EVIL: ([0.5, 1.5], [1.5, 2.5])},
                               y_label=EVIL),
    "bars": lambda: svg.bars([EVIL], [0.5], [0.4], [0.6], EVIL, reference_line=0.5, highlight=[True]),
}


@pytest.mark.parametrize("name", sorted(EVIL_CHARTS))
def test_data_strings_are_escaped(name: str) -> None:
    text = EVIL_CHARTS[name]()
    root = parse(text)
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert not any(el.tag.endswith("script") for el in root.iter())
    assert "<script>alert(1)" in all_text(root)  # shown as text


def test_quotes_and_control_characters_cannot_break_the_markup() -> None:
    label = 'a"b\'c&d\x00e\x1bf\ud800'
    for text in (svg.histogram([label], [1], [1], label), svg.heatmap([label], [label], [[1.0]], None, label),
                 svg.bars([label], [1.0], None, None, label), svg.lines([label], {label: [1.0]}, label)):
        root = parse(text)
        assert 'a"b' in (root.find(f"{NS}title").text or "")  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------- missing data


EMPTY_CASES: list[Callable[[], str]] = [
    lambda: svg.histogram([], [], [], ""),
    lambda: svg.histogram(["a", "b"], [NAN, None], [None, float("inf")], "t"),
    lambda: svg.histogram(["a", "b"], [0, 0], [1], "ragged"),
    lambda: svg.histogram(["a"], [-1], [2], "negative"),
    lambda: svg.heatmap([], [], [], None, "t"),
    lambda: svg.heatmap(["a", "b"], ["c1", "c2", "c3"], [[NAN], []], [["fail"]], "ragged", {"zz": "c9", "a": "c1"}),
    lambda: svg.heatmap(["a"], ["c"], [[None]], [[None]], "missing"),
    lambda: svg.heatmap(["a", "b"], ["c", "d"], [[1.0, 1.0], [1.0, 1.0]], None, "constant"),
    lambda: svg.reliability([]),
    lambda: svg.reliability([{"bin": "x"}, {"rows": 0, "mean_score": 0.5, "outcome_rate": 0.5},
                             {"rows": NAN, "mean_score": NAN, "outcome_rate": None}]),
    lambda: svg.lines([], {}, ""),
    lambda: svg.lines(["a", "b"], {"s": [None, NAN]}, "t", band={"s": ([None, None], [NAN, NAN])}),
    lambda: svg.lines(["a"], {"s": [3.0]}, "one point", band={"other": ([2.0], [4.0])}),
    lambda: svg.lines(["a", "b", "c"], {"s": [1.0, 1.0, 1.0]}, "constant"),
    lambda: svg.bars([], [], None, None, ""),
    lambda: svg.bars(["a", "b"], [None, NAN], [None, 1.0], [None, None], "t", reference_line=NAN,
                     highlight=[True]),
    lambda: svg.bars(["neg", "pos"], [-0.5, 0.5], None, None, "signs"),
    lambda: svg.sparkline([]),
    lambda: svg.sparkline([None, NAN]),
    lambda: svg.sparkline([5.0]),
    lambda: svg.sparkline([2.0, 2.0, 2.0], width=0, height=-3),
]


@pytest.mark.parametrize("case", range(len(EMPTY_CASES)))
def test_missing_and_empty_inputs_never_raise(case: int) -> None:
    root = parse(EMPTY_CASES[case]())
    for el in root.iter():  # every coordinate is a finite number
        for attr in ("x", "y", "width", "height", "cx", "cy", "r"):
            if el.get(attr) is not None:
                assert math.isfinite(float(el.get(attr, "")))
        assert "nan" not in (el.get("d") or "").lower()
        assert "inf" not in (el.get("d") or "").lower()


def test_missing_values_draw_nothing() -> None:
    root = parse(svg.histogram(["a", "b"], [1, None], [None, None], "t"))
    assert len(root.findall(f".//{NS}g[@class='ref']/{NS}rect")) == 1
    assert root.findall(f".//{NS}g[@class='cur']/{NS}rect") == []
    root = parse(svg.bars(["a", "b"], [1.0, None], None, None, "t"))
    assert len([r for r in root.iter(f"{NS}rect") if (r.get("class") or "").startswith("bar")]) == 1
    assert "no data" in all_text(root)


# ---------------------------------------------------------------------------------------- histogram


def bar_heights(root: ET.Element, cls: str) -> list[float]:
    return [float(r.get("height", "nan")) for r in root.findall(f".//{NS}g[@class='{cls}']/{NS}rect")]


def test_histogram_bars_are_shares_of_each_side() -> None:
    root = parse(svg.histogram(["a", "b", "c", "missing"], [10, 30, 40, 20], [1, 1, 1, 1], "shares"))
    ref, cur = bar_heights(root, "ref"), bar_heights(root, "cur")
    assert len(ref) == len(cur) == 4
    # heights are proportional to count / total, on one scale shared by both sides
    unit = ref[0] / 0.10
    for h, share in zip(ref, [0.1, 0.3, 0.4, 0.2], strict=True):
        assert h == pytest.approx(share * unit, abs=0.15)
    for h in cur:
        assert h == pytest.approx(0.25 * unit, abs=0.15)
    assert "missing" in all_text(root)
    assert "reference" in all_text(root) and "current" in all_text(root)
    assert "%" in all_text(root)


def test_histogram_reference_is_outlined_and_current_solid() -> None:
    root = parse(svg.histogram(["a"], [1], [1], "t"))
    ref = root.find(f".//{NS}g[@class='ref']")
    cur = root.find(f".//{NS}g[@class='cur']")
    assert ref is not None and cur is not None
    assert ref.get("stroke") == svg.REFERENCE and ref.get("fill-opacity")
    assert cur.get("fill") == svg.CURRENT and cur.get("stroke") is None


def test_histogram_with_many_bins_rotates_and_thins_labels() -> None:
    labels = [f"category number {i}" for i in range(60)]
    root = parse(svg.histogram(labels, [1] * 60, [2] * 60, "many"))
    texts = [t for t in root.iter(f"{NS}text") if "rotate" in (t.get("transform") or "")]
    assert 0 < len(texts) < 60


# ------------------------------------------------------------------------------------------ heatmap


def test_heatmap_cells_glyphs_and_onset() -> None:
    rows, cols = ["f1", "f2", "f3"], ["d1", "d2", "d3", "d4"]
    values: list[list[float | None]] = [[0.1, 0.2, 0.3, 0.4], [0.0, None, 0.9, 1.0], [0.5, 0.5, 0.5, 0.5]]
    statuses: list[list[str | None]] = [["pass", "pass", "warn", "fail"], [None, None, "fail", "fail"],
                                        ["pass"] * 4]
    root = parse(svg.heatmap(rows, cols, values, statuses, "drift", onset={"f1": "d3", "f2": "d3"}))
    cells = root.findall(f".//{NS}g[@class='cells']/{NS}rect")
    assert len(cells) == len(rows) * len(cols)
    assert len({(c.get("x"), c.get("y")) for c in cells}) == 12
    fills = {c.get("fill") for c in cells}
    assert len(fills) > 3  # a sequential scale, not one colour
    fails = [t for t in root.iter(f"{NS}text") if t.get("class") == "fail"]
    warns = [t for t in root.iter(f"{NS}text") if t.get("class") == "warn"]
    assert len(fails) == 3 and all(t.text == "×" for t in fails)
    assert len(warns) == 1 and warns[0].text == "!"
    onsets = [r for r in root.iter(f"{NS}rect") if r.get("class") == "onset"]
    assert len(onsets) == 2
    # the outline sits on the onset cell (column d3 = index 2), drawn without fill
    cell_x = sorted({float(c.get("x", "0")) for c in cells})
    assert float(onsets[0].get("x", "0")) == pytest.approx(cell_x[2] + 1)
    assert "onset" in all_text(root) and "fail" in all_text(root)


def test_heatmap_accepts_status_enums() -> None:
    from mlaudit.results import Status

    root = parse(svg.heatmap(["f"], ["d"], [[1.0]], [[Status.fail]], "t"))  # a str enum is a str
    assert [t.text for t in root.iter(f"{NS}text") if t.get("class") == "fail"] == ["×"]


def test_heatmap_thins_thirty_column_labels() -> None:
    rows = [f"feature_{i}" for i in range(5)]
    root = parse(svg.heatmap(rows, DAYS, [[0.1] * 30] * 5, None, "t"))
    shown = [t.text for t in root.iter(f"{NS}text") if t.text in DAYS]
    assert 5 <= len(shown) < 30
    assert shown[0] == DAYS[0]


# ------------------------------------------------------------------------------------- other charts


def test_reliability_points_and_diagonal() -> None:
    bins = [{"bin": f"b{i}", "rows": r, "mean_score": m, "outcome_rate": o}
            for i, (r, m, o) in enumerate([(100, 0.1, 0.12), (10, 0.5, 0.4), (400, 0.9, 0.95)])]
    root = parse(svg.reliability(bins))
    circles = [c for c in root.iter(f"{NS}circle") if c.find(f"{NS}title") is not None]
    assert len(circles) == 3
    radius = {c.find(f"{NS}title").text.split(":")[0]: float(c.get("r", "0")) for c in circles}  # type: ignore[union-attr]
    assert radius["bin b2"] > radius["bin b0"] > radius["bin b1"]  # point size grows with rows
    assert "perfect" in all_text(root) and "n=400" in all_text(root)


def test_lines_break_at_missing_values_and_draw_bands() -> None:
    root = parse(svg.lines(["a", "b", "c", "d", "e"], {"m": [1.0, 2.0, None, 3.0, 4.0]}, "t",
                           band={"m": ([0.5, 1.5, None, 2.5, 3.5], [1.5, 2.5, None, 3.5, 4.5])}))
    series = [p for p in root.iter(f"{NS}path") if p.get("class") == "series"]
    assert len(series) == 1 and series[0].get("d", "").count("M") == 2
    band = [p for p in root.iter(f"{NS}path") if p.get("class") == "band"]
    assert len(band) == 1 and band[0].get("d", "").count("M") == 2
    assert "m" in all_text(root) and "band" in all_text(root)


def test_lines_series_differ_by_more_than_colour() -> None:
    root = parse(svg.lines(["a", "b"], {"one": [1.0, 2.0], "two": [2.0, 1.0]}, "t"))
    series = [p for p in root.iter(f"{NS}path") if p.get("class") == "series"]
    assert len(series) == 2
    assert series[0].get("stroke-dasharray") != series[1].get("stroke-dasharray")


def test_bars_whiskers_reference_line_and_highlight() -> None:
    root = parse(svg.bars(["a", "b", "c"], [0.5, 0.7, 0.9], [0.4, 0.6, None], [0.6, 0.8, None], "t",
                          reference_line=0.65, highlight=[False, True, False]))
    bars = [r for r in root.iter(f"{NS}rect") if (r.get("class") or "").startswith("bar")]
    assert len(bars) == 3
    widths = [float(b.get("width", "0")) for b in bars]
    assert widths[0] < widths[1] < widths[2]
    finding = [b for b in bars if "finding" in (b.get("class") or "")]
    assert len(finding) == 1 and (finding[0].get("fill") or "").startswith("url(#")
    pattern = root.find(f".//{NS}pattern")
    assert pattern is not None and finding[0].get("fill") == f"url(#{pattern.get('id')})"
    bold = [t.text for t in root.iter(f"{NS}text") if t.get("font-weight") == "bold"]
    assert "b" in bold and "a" not in bold
    assert len([p for p in root.iter(f"{NS}path") if p.get("class") == "whisker"]) == 2
    assert len([p for p in root.iter(f"{NS}path") if p.get("class") == "reference"]) == 1
    assert "whole population" in all_text(root)


def test_pattern_ids_differ_between_charts() -> None:
    a = parse(svg.bars(["a"], [1.0], None, None, "one", highlight=[True]))
    b = parse(svg.bars(["a"], [2.0], None, None, "two", highlight=[True]))
    ids = [r.find(f".//{NS}pattern").get("id") for r in (a, b)]  # type: ignore[union-attr]
    assert ids[0] != ids[1]


def test_sparkline_size_and_gaps() -> None:
    root = parse(svg.sparkline([1.0, 2.0, None, 3.0, 4.0], width=60, height=12))
    assert root.get("width") == "60" and root.get("height") == "12"
    path = root.find(f"{NS}path")
    assert path is not None and path.get("d", "").count("M") == 2


# ------------------------------------------------------------------------------------ text sparkline


def test_text_sparkline() -> None:
    assert svg.text_sparkline([0.0, 7.0]) == "▁█"
    line = svg.text_sparkline([5.0, 1.0, None, 9.0, NAN])
    assert line[1] == "▁" and line[3] == "█" and line[2] == " " and line[4] == " "
    assert len(line) == 5
    flat = svg.text_sparkline([4.0, 4.0, 4.0])
    assert len(flat) == 3 and len(set(flat)) == 1 and flat != "   "
    assert svg.text_sparkline([]) == ""
    assert svg.text_sparkline([None, None]) == "  "
    ramp = svg.text_sparkline([float(i) for i in range(8)])
    assert ramp == "▁▂▃▄▅▆▇█"


# -------------------------------------------------------------------------------------------- size


def test_a_report_worth_of_charts_stays_small() -> None:
    rng = random.Random(7)
    rows = [f"feature_with_a_longish_name_{i:02d}" for i in range(50)]
    values = [[rng.random() for _ in DAYS] for _ in rows]
    statuses: list[list[str | None]] = [["fail" if v > 0.9 else "warn" if v > 0.75 else "pass" for v in row]
                                        for row in values]
    heat = svg.heatmap(rows, DAYS, values, statuses, "Drift by day", {r: DAYS[10] for r in rows[::3]})
    labels = [f"[{i * 10}, {(i + 1) * 10})" for i in range(11)] + ["missing"]
    hists = [svg.histogram(labels, [rng.randint(0, 10_000) for _ in labels], [rng.randint(0, 10_000) for _ in labels],
                           name) for name in rows]
    root = parse(heat)
    assert len(root.findall(f".//{NS}g[@class='cells']/{NS}rect")) == 50 * 30
    for h in hists[:3]:
        parse(h)
    total = len(heat.encode()) + sum(len(h.encode()) for h in hists)
    assert total < 600_000 * 0.75, total  # well under 600 KB
    assert len(hists[0].encode()) < 6_000
    assert len(heat.encode()) < 200_000


def test_coordinates_are_rounded_to_one_decimal() -> None:
    text = svg.histogram(["a", "b", "c"], [1, 1, 1], [1, 2, 4], "thirds")
    root = parse(text)
    for el in root.iter():
        for attr in ("x", "y", "width", "height", "cx", "cy", "r"):
            value = el.get(attr)
            if value is not None:
                assert not math.isnan(float(value))
                assert len(value.split(".")[1]) <= 1 if "." in value else True


@pytest.mark.parametrize("extreme", [[1e308, -1e308], [1e-320, 0.0], [1e300, 1e300 * 1.0000001], [-5.0, -5.0]])
def test_extreme_numbers_never_raise(extreme: list[float]) -> None:
    vals: list[float | None] = [*extreme, None]
    labels = ["a", "b", "c"]
    for text in (svg.histogram(labels, vals, vals, "x"), svg.heatmap(["r"], labels, [vals], None, "x"),
                 svg.lines(labels, {"s": vals}, "x", band={"s": (vals, vals)}),
                 svg.bars(labels, vals, vals, vals, "x", reference_line=extreme[0]), svg.sparkline(vals),
                 svg.reliability([{"bin": "b", "rows": extreme[0], "mean_score": extreme[1], "outcome_rate": 2.0}])):
        parse(text)
    assert len(svg.text_sparkline(vals)) == 3


def test_long_labels_are_shortened_in_the_middle_with_the_full_name_as_tooltip() -> None:
    rows = [f"feature_with_a_very_long_shared_prefix_{i:02d}" for i in range(3)]
    root = parse(svg.heatmap(rows, ["d1"], [[0.1], [0.2], [0.3]], None, "t"))
    shown = [t for t in root.iter(f"{NS}text") if t.find(f"{NS}title") is not None]
    assert len(shown) == 3
    assert [t.find(f"{NS}title").text for t in shown] == rows  # type: ignore[union-attr]
    visible = ["".join(t.itertext()).replace(t.find(f"{NS}title").text or "", "") for t in shown]  # type: ignore[union-attr]
    assert len(set(visible)) == 3 and all("…" in v and len(v) <= 28 for v in visible)
    assert all(v.endswith(f"_{i:02d}") for i, v in enumerate(visible))
