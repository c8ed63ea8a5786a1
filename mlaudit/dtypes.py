"""Which polars data types satisfy which contract feature types."""

from __future__ import annotations

import polars as pl

from mlaudit.contract.model import FeatureType


def describe(dtype: pl.DataType) -> str:
    """A short, stable name for a polars dtype in messages."""
    return str(dtype)


def matches(ftype: FeatureType, dtype: pl.DataType) -> bool:
    """True when a column of `dtype` can hold a feature declared as `ftype`.

    Integers are accepted for float features (whole-number floats are often
    written as integers), and integer codes for categories; strings holding
    numbers are not accepted for numeric features: that is training-serving skew.
    """
    if ftype is FeatureType.float:
        return dtype.is_float() or dtype.is_integer() or dtype.is_decimal()
    if ftype is FeatureType.int:
        return dtype.is_integer()
    if ftype is FeatureType.bool:
        return dtype == pl.Boolean
    if ftype is FeatureType.category:
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum) or dtype.is_integer()
    if ftype is FeatureType.string:
        return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
    # datetime and date accept either temporal type
    return isinstance(dtype, pl.Datetime) or dtype == pl.Date
