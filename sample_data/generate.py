"""Deterministic sample data for mlaudit: a loan-default classifier in production.

Writes, next to this file (or under ``--out``):

- ``reference.parquet``: the training snapshot, ~20,000 applications 2026-03-01 .. 2026-08-31.
- ``current/day=YYYY-MM-DD/part-0.parquet``: the production log 2026-10-01 .. 2026-10-30,
  ~1,000 rows a day, hive-partitioned by ``day``.
- ``outcomes.parquet``: delayed labels (application_id, defaulted, outcome_at) for production
  rows whose outcome had arrived by 2026-10-31 (outcomes arrive 7-10 days after the decision).

Only numpy (one seeded Generator) and pyarrow; no wall clock, so two runs write byte-identical
files. Planted problems (in production unless stated; README.md explains each):

| Column(s)                 | Onset      | A correct audit finds                                |
|---------------------------|------------|------------------------------------------------------|
| age                       | 2026-10-01 | 0.5% outside range [18, 100] (values 0 and 150)      |
| employment_type           | 2026-10-01 | unseen value "contractor" in 3% of rows              |
| credit_score              | 2026-10-01 | null share 8% > max_null_share 2% (reference 1%)     |
| application_id            | 2026-10-01 | 20 ids logged twice (unique: true violated)          |
| loan_amount, income       | 2026-10-01 | rule loan_amount <= income * 10 broken by 1% of rows |
| default_probability       | 2026-10-01 | 0.3% outside [0, 1]: NaN, 1.01..1.1, -0.05..-0.01    |
| customer_id               | 2026-10-01 | 0.2% do not match C[0-9]{7} ("c14740", "C-46244")   |
| debt_to_income            | 2026-10-15 | mean drift up by 0.5 reference sd (+0.065)           |
| num_recent_inquiries      | 2026-10-20 | distribution drift: + Poisson(1), mean 1.2 -> 2.2    |
| avg_balance_30d           | 2026-10-10 | unit change EUR -> cents: values x100                |
| months_since_last_default | 2026-10-01 | sentinel -1 in ~80% of rows where training had nulls |
| all features (reference)  | reference  | 150 groups of identical features with both labels    |
| collections_flag          | reference  | leak: equals defaulted in 96% of reference rows,     |
|                           |            | unrelated to outcomes in production                  |
| region=east & mortgage    | 2026-10-01 | costly slice: ~40% of approved default (rest ~12%),  |
|                           |            | a third of the money lost; overall AUC barely moves  |
| reviewed_by               | 2026-10-01 | 5% of decisions with 0.45 <= p <= 0.55 unreviewed    |
| contract owners           | -          | no governance owner                                  |

Run: ``python sample_data/generate.py`` (``--out DIR`` to write elsewhere).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20261031
US = 1_000_000  # microseconds per second
DAY = 86_400 * US


def ts(text: str) -> int:
    """Microseconds since the Unix epoch of an ISO date or datetime (UTC-naive)."""
    return int(np.datetime64(text, "us").astype(np.int64))


REF_START, REF_END = ts("2026-03-01"), ts("2026-09-01")
PROD_START, PROD_DAYS, AS_OF = ts("2026-10-01"), 30, ts("2026-10-31")
CENTS_ONSET, DTI_ONSET, INQ_ONSET = ts("2026-10-10"), ts("2026-10-15"), ts("2026-10-20")
N_CUSTOMERS, N_REF_BASE = 30_000, 19_820  # 19,820 + 180 conflicting copies = 20,000 rows
EMPLOYMENT = np.array(["salaried", "self_employed", "unemployed", "retired"])
REGIONS = np.array(["north", "south", "east", "west"])
PRODUCTS = np.array(["personal", "auto", "mortgage"])
REVIEWERS = np.array(["ana.lopez", "ben.okafor", "chloe.martin", "dan.weber", "eva.novak"])
TYPICAL_LTI = {"personal": 0.3, "auto": 0.6, "mortgage": 5.0}  # loan-to-income by product

Frame = dict[str, np.ndarray]

SCHEMA: dict[str, pa.DataType] = {
    "application_id": pa.string(),
    "decided_at": pa.timestamp("us"),
    "customer_id": pa.string(),
    "income": pa.float64(),
    "loan_amount": pa.float64(),
    "age": pa.int64(),
    "employment_type": pa.string(),
    "region": pa.string(),
    "product": pa.string(),
    "has_guarantor": pa.bool_(),
    "credit_score": pa.int64(),
    "debt_to_income": pa.float64(),
    "months_since_last_default": pa.int64(),
    "avg_balance_30d": pa.float64(),
    "num_recent_inquiries": pa.int64(),
    "bureau_pulled_at": pa.timestamp("us"),
    "collections_flag": pa.bool_(),
    "default_probability": pa.float64(),
    "approved": pa.bool_(),
    "defaulted": pa.bool_(),
    "outcome_at": pa.timestamp("us"),
    "reviewed_by": pa.string(),
    "overridden": pa.bool_(),
}
REFERENCE_COLUMNS = [c for c in SCHEMA if c not in ("reviewed_by", "overridden")]
CURRENT_COLUMNS = [c for c in SCHEMA if c not in ("defaulted", "outcome_at")]
WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 9,
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1_000_000,
}


def make_customers(rng: np.random.Generator, n: int) -> Frame:
    """Per-customer attributes that stay fixed across applications (so entity joins agree)."""
    age = np.clip(np.round(rng.normal(42, 13, n)), 18, 85)
    employment = np.where(
        age >= 63,
        rng.choice(EMPLOYMENT, n, p=[0.25, 0.10, 0.05, 0.60]),
        rng.choice(EMPLOYMENT, n, p=[0.70, 0.17, 0.10, 0.03]),
    )
    income = rng.lognormal(np.log(42_000), 0.5, n)
    income *= np.select([employment == "unemployed", employment == "retired"], [0.4, 0.7], 1.0)
    return {
        "customer_id": np.array([f"C{i:07d}" for i in rng.choice(9_000_000, n, replace=False) + 1_000_000]),
        "age": age,
        "employment_type": employment,
        "income": np.round(np.clip(income, 6_000, 600_000), 2),
        "region": rng.choice(REGIONS, n, p=[0.30, 0.25, 0.20, 0.25]),
        "base_score": rng.normal(690, 70, n),
        "had_default": rng.random(n) < 0.2,
        "last_default": ts("2026-01-01") - rng.integers(30, 3_650, n) * DAY,
    }


def make_applications(
    rng: np.random.Generator,
    cust: Frame,
    who: np.ndarray,
    decided: np.ndarray,
    credit_null_share: float,
) -> Frame:
    """Clean application features for customers `who` decided at `decided` (us)."""
    n = len(who)
    product = rng.choice(PRODUCTS, n, p=[0.55, 0.30, 0.15])
    is_p, is_a = product == "personal", product == "auto"
    median = np.select([is_p, is_a], [12_000, 25_000], 220_000)
    low = np.select([is_p, is_a], [1_000, 5_000], 50_000)
    high = np.select([is_p, is_a], [50_000, 80_000], 900_000)
    draw = np.clip(rng.lognormal(np.log(median), 0.45), low, high)
    income = cust["income"][who]
    score = np.clip(np.round(cust["base_score"][who] + rng.normal(0, 8, n)), 300, 850)
    score[rng.choice(n, round(credit_null_share * n), replace=False)] = np.nan
    months = (decided - cust["last_default"][who]) // int(30.44 * DAY)
    return {
        "decided_at": decided,
        "customer_id": cust["customer_id"][who].astype(object),
        "income": income,
        "loan_amount": np.round(np.minimum(draw, 9.5 * income), 2),
        "age": cust["age"][who].copy(),
        "employment_type": cust["employment_type"][who].copy(),
        "region": cust["region"][who],
        "product": product,
        "has_guarantor": rng.random(n) < np.where(product == "mortgage", 0.35, 0.15),
        "credit_score": score,
        "debt_to_income": np.round(rng.beta(4, 8, n), 4),
        "months_since_last_default": np.where(cust["had_default"][who], months, np.nan),
        "avg_balance_30d": np.round(rng.lognormal(np.log(2_500), 1.0, n), 2),
        "num_recent_inquiries": rng.poisson(1.2, n).astype(np.float64),
        "bureau_pulled_at": decided - rng.integers(60, 36 * 3_600, n) * US,
    }


def risk_logit(f: Frame, balance_eur: np.ndarray) -> np.ndarray:
    """Logit of P(default) given the features; the classifier learnt exactly this function.

    A null credit score is imputed as 640; a null or -1 months_since_last_default means
    "never defaulted" (the scoring service maps the -1 sentinel back to unknown).
    """
    score = np.where(np.isnan(f["credit_score"]), 640.0, f["credit_score"])
    months = f["months_since_last_default"]
    known = ~np.isnan(months) & (months >= 0)
    recent = np.where(known, 0.4 + 1.2 * np.exp(-np.where(known, months, 0) / 24), 0.0)
    typical = np.select([f["product"] == p for p in TYPICAL_LTI], list(TYPICAL_LTI.values()))
    emp = {"self_employed": 0.3, "unemployed": 1.2, "retired": 0.1}
    z: np.ndarray = (
        -2.7
        - 1.2 * (score - 690) / 70
        + 4.0 * (f["debt_to_income"] - 0.33)
        + 0.25 * (f["num_recent_inquiries"] - 1.2)
        - 0.1 * np.log((balance_eur + 1) / 2_500)
        + 0.5 * np.log(f["loan_amount"] / f["income"] / typical)
        - 0.01 * (np.clip(f["age"], 18, 85) - 42)
        - 0.5 * f["has_guarantor"]
        + np.select([f["employment_type"] == k for k in emp], list(emp.values()), 0.0)
        + np.select([f["product"] == "mortgage", f["product"] == "auto"], [-0.7, -0.2], 0.0)
        + recent
    )
    return z


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z))."""
    p: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return p


def outcome_times(rng: np.random.Generator, decided: np.ndarray) -> np.ndarray:
    """Outcomes arrive 7 to 10 days after the decision."""
    return decided + rng.integers(7 * 86_400, 10 * 86_400, len(decided)) * US


def add_label_conflicts(rng: np.random.Generator, f: Frame) -> Frame:
    """Copy 150 rows (120 once, 30 twice) with identical features but a flipped label."""
    src = rng.choice(len(f["decided_at"]), 150, replace=False)
    copies = np.concatenate([src, src[120:]])
    extra = {k: v[copies].copy() for k, v in f.items()}
    extra["defaulted"][:150] = ~f["defaulted"][src]  # the first copy always disagrees
    decided = np.sort(rng.integers(REF_START // US, REF_END // US, len(copies))) * US
    extra["bureau_pulled_at"] = decided - (f["decided_at"] - f["bureau_pulled_at"])[copies]
    extra["decided_at"], extra["outcome_at"] = decided, outcome_times(rng, decided)
    return {k: np.concatenate([f[k], extra[k]]) for k in f}


def reference(rng: np.random.Generator, cust: Frame) -> Frame:
    """The training snapshot: calibrated scores, labels for every row, a leaking flag."""
    decided = np.sort(rng.integers(REF_START // US, REF_END // US, N_REF_BASE)) * US
    who = rng.integers(0, 25_000, N_REF_BASE)
    f = make_applications(rng, cust, who, decided, credit_null_share=0.01)
    p = np.round(sigmoid(risk_logit(f, f["avg_balance_30d"])), 6)
    f["default_probability"], f["approved"] = p, p < 0.5
    f["defaulted"] = rng.random(N_REF_BASE) < p
    f["outcome_at"] = outcome_times(rng, decided)
    # leak: the flag is set by collections *after* the default, yet sits in the snapshot
    f["collections_flag"] = f["defaulted"] ^ (rng.random(N_REF_BASE) < 0.03)
    f = add_label_conflicts(rng, f)
    return finish(f, "A", 1)


def review(rng: np.random.Generator, p: np.ndarray, guarantor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reviewer (None = model alone) and override flag; 5% of 0.45 <= p <= 0.55 unreviewed."""
    n = len(p)
    mid = np.flatnonzero((p >= 0.45) & (p <= 0.55))
    near = (p >= 0.30) & (p <= 0.70)
    reviewed = rng.random(n) < np.where(near, 0.5, 0.02)
    reviewed[mid] = True
    reviewed[rng.choice(mid, round(0.05 * len(mid)), replace=False)] = False
    reviewer = rng.choice(REVIEWERS, n).astype(object)
    reviewer[~reviewed] = None
    flip = np.where(p >= 0.5, np.where(guarantor, 0.4, 0.1), 0.08)
    return reviewer, reviewed & (rng.random(n) < flip)


def pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Exactly round(share * n) distinct row indices."""
    return rng.choice(n, round(share * n), replace=False)


def production(rng: np.random.Generator, cust: Frame, flag_rate: float) -> tuple[Frame, Frame]:
    """The production log with every planted problem, and its delayed outcomes."""
    counts = rng.poisson(1_000, PROD_DAYS)
    decided = np.concatenate(
        [PROD_START + d * DAY + np.sort(rng.integers(0, 86_400, c)) * US for d, c in enumerate(counts)]
    )
    n = len(decided)
    f = make_applications(rng, cust, rng.integers(5_000, N_CUSTOMERS, n), decided, 0.08)
    # inputs the model really saw
    emp = f["employment_type"]
    working = np.flatnonzero(np.isin(emp, ["salaried", "self_employed"]))
    emp[rng.choice(working, round(0.03 * n), replace=False)] = "contractor"
    f["debt_to_income"] = np.round(f["debt_to_income"] + 0.065 * (decided >= DTI_ONSET), 4)
    f["num_recent_inquiries"] += rng.poisson(1.0, n) * (decided >= INQ_ONSET)
    bad = pick(rng, n, 0.01)
    f["loan_amount"][bad] = np.round(f["income"][bad] * rng.uniform(10.5, 13.0, len(bad)), 2)
    balance_eur = f["avg_balance_30d"]
    f["avg_balance_30d"] = np.round(balance_eur * np.where(decided >= CENTS_ONSET, 100, 1), 2)
    # model score on served inputs; the truth uses real euros and the east-mortgage downturn
    p = np.round(sigmoid(risk_logit(f, f["avg_balance_30d"])), 6)
    slice_ = (f["region"] == "east") & (f["product"] == "mortgage")
    truth = sigmoid(risk_logit(f, balance_eur) + 2.5 * slice_)
    f["reviewed_by"], f["overridden"] = review(rng, p, f["has_guarantor"])
    f["approved"] = (p < 0.5) ^ f["overridden"]
    f["collections_flag"] = rng.random(n) < flag_rate  # no longer knows the future
    # logging and upstream defects on values the model did not use
    f["months_since_last_default"] = np.nan_to_num(f["months_since_last_default"], nan=-1.0)
    ages = pick(rng, n, 0.005)
    f["age"][ages] = rng.choice([0, 150], len(ages))
    ids = pick(rng, n, 0.002)
    digits = rng.integers(100, 100_000, len(ids))  # never 7 digits, so never a valid id
    f["customer_id"][ids] = [("c{}", "C{}", "C-{}")[i % 3].format(d) for i, d in enumerate(digits)]
    scores = pick(rng, n, 0.003)
    kind, k = np.arange(len(scores)) % 3, len(scores)  # a third each: NaN, above 1, below 0
    high, low = np.round(rng.uniform(1.01, 1.1, k), 2), -np.round(rng.uniform(0.01, 0.05, k), 2)
    p[scores] = np.select([kind == 0, kind == 1], [np.nan, high], low)
    f["default_probability"] = p
    f["defaulted"], f["outcome_at"] = rng.random(n) < truth, outcome_times(rng, decided)
    f = finish(f, "A", 1_000_001)
    arrived = f["outcome_at"] <= AS_OF
    outcomes = {"application_id": f["application_id"][arrived]}
    outcomes |= {k: f.pop(k)[arrived] for k in ("defaulted", "outcome_at")}
    dup = rng.choice(n, 20, replace=False)  # the logger wrote 20 rows twice
    f = {k: np.concatenate([v, v[dup]]) for k, v in f.items()}
    order = np.argsort(f["decided_at"], kind="stable")
    return {k: v[order] for k, v in f.items()}, outcomes


def finish(f: Frame, prefix: str, first: int) -> Frame:
    """Sort by decision time and number the applications in that order."""
    order = np.argsort(f["decided_at"], kind="stable")
    f = {k: v[order] for k, v in f.items()}
    f["application_id"] = np.array([f"{prefix}{first + i:07d}" for i in range(len(order))])
    return f


def to_table(f: Frame, columns: list[str]) -> pa.Table:
    """Arrow table with the fixed schema; NaN in integer columns becomes null."""
    arrays = []
    for name in columns:
        typ, values = SCHEMA[name], f[name]
        if pa.types.is_integer(typ):
            null = np.isnan(values)
            arrays.append(pa.array(np.where(null, 0, values).astype(np.int64), typ, mask=null))
        elif pa.types.is_timestamp(typ):
            arrays.append(pa.array(values.astype("datetime64[us]"), typ))
        elif pa.types.is_string(typ):
            arrays.append(pa.array(values.tolist(), typ))
        else:
            arrays.append(pa.array(values, typ))
    return pa.table(arrays, names=columns)


def write(table: pa.Table, path: Path) -> None:
    """Write Parquet with fixed options (zstd, no extra metadata) for byte-stable output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **WRITE_OPTIONS)


def main(out: Path) -> None:
    """Generate every file under `out`."""
    rng = np.random.default_rng(SEED)
    cust = make_customers(rng, N_CUSTOMERS)
    ref = reference(rng, cust)
    cur, outcomes = production(rng, cust, float(ref["collections_flag"].mean()))
    write(to_table(ref, REFERENCE_COLUMNS), out / "reference.parquet")
    write(to_table(outcomes, ["application_id", "defaulted", "outcome_at"]), out / "outcomes.parquet")
    shutil.rmtree(out / "current", ignore_errors=True)
    days = cur["decided_at"] // DAY
    for day in np.unique(days):
        label = str(np.datetime64(int(day), "D"))
        rows = {k: v[days == day] for k, v in cur.items()}
        write(to_table(rows, CURRENT_COLUMNS), out / "current" / f"day={label}" / "part-0.parquet")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    main(parser.parse_args().out)
