"""Synthetic snapshots with known truth, for the drift calibration tests and benchmarks/drift_calibration.py.

Five kinds of feature cycle over the columns: normal, heavy-tailed (Student t,
2 degrees of freedom), discrete with few values (Poisson 2), categorical with
many rare categories (60, Zipf-like), and a shifted normal; every feature has
5% missing values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import yaml

CATEGORIES = [f"c{j}" for j in range(60)]
_ZIPF = 1 / np.arange(1, 61) ** 1.2
ZIPF = _ZIPF / _ZIPF.sum()


def clean_pair(seed: int, rows: int, features: int = 50) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """Two independent samples of the same distribution, and each feature's contract type."""
    rng = np.random.default_rng(seed)
    return _sample(rng, rows, features), _sample(rng, rows, features), _types(features)


def _types(features: int) -> dict[str, str]:
    return {f"f{i:02d}": ("category" if i % 5 == 3 else "float") for i in range(features)}


def _sample(rng: np.random.Generator, rows: int, features: int) -> pl.DataFrame:
    cols: dict[str, pl.Series] = {}
    for i in range(features):
        kind = i % 5
        missing = rng.random(rows) < 0.05
        if kind == 3:
            values = rng.choice(CATEGORIES, rows, p=ZIPF).astype(object)
            values[missing] = None
            cols[f"f{i:02d}"] = pl.Series(values.tolist(), dtype=pl.String)
            continue
        if kind == 0:
            x = rng.normal(0, 1, rows)
        elif kind == 1:
            x = rng.standard_t(2, rows)
        elif kind == 2:
            x = rng.poisson(2, rows).astype(float)
        else:
            x = rng.normal(5, 2, rows)
        x[missing] = np.nan
        cols[f"f{i:02d}"] = pl.Series(x).fill_nan(None)
    return pl.DataFrame(cols)


SHIFTS = ("mean_0.2sd", "scale_1.5x", "new_category_5pct", "swap_two_common_categories", "nulls_1_to_20pct")


def shifted_pair(seed: int, rows: int = 10_000) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """One column per shift in SHIFTS (same names), plus a stable column 'stable'."""
    rng = np.random.default_rng(seed)
    cats = CATEGORIES[:20]
    w = 1 / np.arange(1, 21)
    w = w / w.sum()
    swapped = w[[1, 0, *range(2, 20)]]
    nulls_ref = rng.normal(0, 1, rows)
    nulls_ref[rng.random(rows) < 0.01] = np.nan
    nulls_cur = rng.normal(0, 1, rows)
    nulls_cur[rng.random(rows) < 0.20] = np.nan
    ref = {"mean_0.2sd": rng.normal(0, 1, rows), "scale_1.5x": rng.normal(0, 1, rows),
           "new_category_5pct": rng.choice(cats, rows, p=w), "swap_two_common_categories": rng.choice(cats, rows, p=w),
           "nulls_1_to_20pct": nulls_ref, "stable": rng.normal(0, 1, rows)}
    cur = {"mean_0.2sd": rng.normal(0.2, 1, rows), "scale_1.5x": rng.normal(0, 1.5, rows),
           "new_category_5pct": np.where(rng.random(rows) < 0.05, "brand_new", rng.choice(cats, rows, p=w)),
           "swap_two_common_categories": rng.choice(cats, rows, p=swapped),
           "nulls_1_to_20pct": nulls_cur, "stable": rng.normal(0, 1, rows)}
    types = {"mean_0.2sd": "float", "scale_1.5x": "float", "new_category_5pct": "category",
             "swap_two_common_categories": "category", "nulls_1_to_20pct": "float", "stable": "float"}
    as_frame = lambda d: pl.DataFrame(d).with_columns(pl.col(pl.Float64).fill_nan(None))  # noqa: E731
    return as_frame(ref), as_frame(cur), types


def write_contract(path: Path, types: dict[str, str], extra: dict[str, object] | None = None) -> Path:
    """A minimal contract declaring `types` as features."""
    data: dict[str, object] = {"version": 1, "model": {"name": "sim", "task": "regression"},
                               "features": {name: {"type": t} for name, t in types.items()}}
    data.update(extra or {})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def correlation_pair(seed: int, rows: int = 10_000, corr_ref: float = 0.9,
                     corr_cur: float = 0.0) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """Two features whose correlation changes while each marginal stays N(0, 1), plus two stable ones."""
    rng = np.random.default_rng(seed)

    def frame(corr: float) -> pl.DataFrame:
        x, noise = rng.normal(0, 1, rows), rng.normal(0, 1, rows)
        return pl.DataFrame({"x": x, "y": corr * x + np.sqrt(1 - corr**2) * noise, "z": rng.normal(0, 1, rows),
                             "k": rng.choice(["u", "v", "w"], rows)})

    return frame(corr_ref), frame(corr_cur), {"x": "float", "y": "float", "z": "float", "k": "category"}


def concept_pair(seed: int, rows: int = 10_000, flip: bool = True) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    """Outcome y depends on x through a logistic link; with `flip` the current link is reversed.

    The marginals of x and z are the same on both sides; `score` is the reference model sigmoid(2x).
    """
    rng = np.random.default_rng(seed)

    def frame(sign: float) -> pl.DataFrame:
        x, z = rng.normal(0, 1, rows), rng.normal(0, 1, rows)
        p = 1 / (1 + np.exp(-2 * sign * x))
        return pl.DataFrame({"x": x, "z": z, "score": 1 / (1 + np.exp(-2 * x)), "y": rng.random(rows) < p})

    return frame(1.0), frame(-1.0 if flip else 1.0), {"x": "float", "z": "float"}
