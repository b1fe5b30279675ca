"""Daily net revenue per continent and currency, flagged where it leaves its recent range.

Each series (continent, currency) gets a complete calendar from its first sale to
the latest order date in the data, a day without orders counting 0 (SQL has no
missing rows to average over; here they matter: a drop to nothing is what an alert
should catch). Each day is compared with the ``window_days`` days before it (the day
itself excluded): the robust z-score is 0.6745 * (value - median) / MAD, with the
median absolute deviation replaced by 1.2533 * the mean absolute deviation where
the MAD is 0 (a mostly flat history), and no score while the history has fewer than
``min_history_days`` days, no spread at all, or a median of 0: in a series that
sells on fewer than half its days every sale would pass any threshold (on the demo
data such days made most of the flags), so intermittent series are not scored.
A day is an anomaly when
|z| > ``z_threshold`` (Iglewicz and Hoaglin's 3.5 by default). The settings live in
dbt_project.yml (``vars: sales_anomalies``), passed on by the model's ``config.meta``.

A dbt Python model written once for both platforms, like customer_segments.py: the
warehouse sums fct_daily_sales per series and day, the scoring (`flag_anomalies`) is
plain pandas and numpy, `to_pandas` / `from_pandas` hold the only DuckDB / Snowpark
difference, and nothing is imported from the project.
"""

import json
import warnings

import numpy as np
import pandas as pd

SERIES = ("continent", "currency_code")
"""What makes a series; each has one value per day."""
DAILY_AGGREGATES = (
    ("order_count", "sum(order_count)"),
    ("net_revenue_usd", "sum(net_revenue_usd)"),
)
"""Per series and day, computed in the warehouse from fct_daily_sales (summing countries)."""

OUTPUT_TYPES = {
    "order_date": "object",
    "continent": "object",
    "currency_code": "object",
    "order_count": "int32",
    "net_revenue_usd": "float64",
    "history_days": "int32",
    "baseline_median": "float64",
    "baseline_deviation": "float64",
    "robust_z": "float64",
    "is_anomaly": "bool",
}
"""The model's columns in order, with the pandas dtype each leaves in."""

MAD_SCALE = 0.6745
"""The normal distribution's 0.75 quantile: makes the MAD comparable to a standard deviation."""
MEAN_AD_SCALE = 1.253314
"""sqrt(pi / 2): the same for the mean absolute deviation, used where the MAD is 0."""


# --- the platform helpers: the only DuckDB / Snowpark difference ------------------------


def is_snowpark(relation):
    """Whether ``relation`` is a Snowpark object (else a DuckDB relation or connection)."""
    return type(relation).__module__.startswith("snowflake.snowpark")


def to_pandas(relation, group_by, aggregates, where=None):
    """A dbt.ref() result, filtered and aggregated in the warehouse, as pandas.

    Only the aggregated rows leave the warehouse. The SQL expressions must be valid
    on both DuckDB and Snowflake; column names come back lower-case.

    Args:
        relation: a DuckDB relation (dbt-duckdb) or a Snowpark DataFrame (dbt-snowflake).
        group_by: the grouping columns.
        aggregates: (name, SQL aggregate expression) pairs.
        where: an SQL condition applied before grouping, or None.
    """
    if where:
        relation = relation.filter(where)
    if is_snowpark(relation):
        from snowflake.snowpark.functions import sql_expr  # Snowflake's own runtime

        columns = [sql_expr(sql).alias(name) for name, sql in aggregates]
        frame = relation.group_by(*group_by).agg(*columns).to_pandas()
    else:
        columns = [*group_by, *(f"{sql} as {name}" for name, sql in aggregates)]
        frame = relation.aggregate(", ".join(columns), ", ".join(group_by)).df()
    # Snowflake folds unquoted names to upper case, and to_pandas keeps them so
    frame.columns = [str(c).lower() for c in frame.columns]
    return frame


def from_pandas(frame, session):
    """The model's result for the platform that runs it.

    dbt-duckdb registers a pandas DataFrame and creates the table from it. On
    Snowpark the column names are upper-cased first: a lower-case name would become
    a quoted, case-sensitive identifier, unlike every SQL model's columns.
    """
    if is_snowpark(session):
        frame = frame.rename(columns=str.upper)
        return session.create_dataframe(frame)
    return frame


# --- the settings ------------------------------------------------------------------------


class SettingsError(ValueError):
    """The ``sales_anomalies`` var is not valid; the message names the bad field."""


def load_settings(raw):
    """The ``sales_anomalies`` settings from dbt_project.yml, checked.

    Args:
        raw: the var as dbt hands it to the model: a mapping, or its JSON text.

    Returns:
        A dict with ``window_days``, ``min_history_days`` and ``z_threshold``.

    Raises:
        SettingsError: naming the first bad field.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise SettingsError(f"vars.sales_anomalies: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SettingsError(f"vars.sales_anomalies: expected a mapping, got {type(raw).__name__}")
    known = ", ".join(sorted({"window_days", "min_history_days", "z_threshold"}))
    unknown = sorted(set(raw) - {"window_days", "min_history_days", "z_threshold"})
    if unknown:
        raise SettingsError(f"vars.sales_anomalies.{unknown[0]}: unknown setting (known: {known})")
    window = raw.get("window_days", 28)
    if not isinstance(window, int) or isinstance(window, bool) or window < 3:
        raise SettingsError(
            f"vars.sales_anomalies.window_days: expected an integer >= 3, got {window!r}"
        )
    minimum = raw.get("min_history_days", 14)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or not 1 <= minimum <= window:
        raise SettingsError(
            f"vars.sales_anomalies.min_history_days: expected an integer from 1 to window_days "
            f"({window}), got {minimum!r}"
        )
    threshold = raw.get("z_threshold", 3.5)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold <= 0:
        raise SettingsError(
            f"vars.sales_anomalies.z_threshold: expected a number > 0, got {threshold!r}"
        )
    return {"window_days": window, "min_history_days": minimum, "z_threshold": float(threshold)}


# --- the scoring -------------------------------------------------------------------------


def robust_scores(values, window, min_history):
    """Trailing-window robust statistics of one daily series.

    Args:
        values: the series, one value per consecutive day (float array).
        window: days of history each day is compared with (the day itself excluded).
        min_history: fewest days of history that give a score.

    Returns:
        Four arrays like ``values``: days of history, their median (NaN with too
        little history), the deviation (MAD / 0.6745, or 1.2533 * mean absolute
        deviation where the MAD is 0; NaN with too little history or a median of
        0), and the robust z-score (NaN where there is no deviation).
    """
    padded = np.concatenate([np.full(window, np.nan), values.astype("float64")])
    history = np.lib.stride_tricks.sliding_window_view(padded, window)[: len(values)]
    days = np.count_nonzero(~np.isnan(history), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as meant
        median = np.nanmedian(history, axis=1)
        spread = np.abs(history - median[:, None])
        mad = np.nanmedian(spread, axis=1) / MAD_SCALE
        mean_ad = np.nanmean(spread, axis=1) * MEAN_AD_SCALE
    deviation = np.where(mad > 0, mad, mean_ad)
    enough = days >= min_history
    median = np.where(enough, median, np.nan)
    deviation = np.where(enough & (median != 0), deviation, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(deviation > 0, (values - median) / deviation, np.nan)
    return days, median, deviation, z


def flag_anomalies(sales, settings):
    """One row per continent, currency and day, with its robust z-score and flag.

    Args:
        sales: rows with ``order_date``, the `SERIES` columns and those of
            `DAILY_AGGREGATES` (what `to_pandas` returns); several rows of one day
            and series are summed.
        settings: from `load_settings`.

    Returns:
        The columns of `OUTPUT_TYPES`, ordered by continent, currency and day; each
        series runs from its first sale to the latest date in ``sales``.
    """
    if sales.empty:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in OUTPUT_TYPES.items()})
    work = pd.DataFrame(
        {
            "order_date": pd.to_datetime(sales["order_date"]).dt.normalize().to_numpy(),
            "continent": sales["continent"]
            .astype("object")
            .where(sales["continent"].notna(), "Unknown")
            .to_numpy(),
            "currency_code": sales["currency_code"]
            .astype("object")
            .where(sales["currency_code"].notna(), "UNK")
            .to_numpy(),
            "order_count": pd.to_numeric(sales["order_count"]).fillna(0).astype("int64").to_numpy(),
            "net_revenue_usd": pd.to_numeric(sales["net_revenue_usd"])
            .astype("float64")
            .fillna(0.0)
            .to_numpy(),
        }
    )
    daily = work.groupby(["continent", "currency_code", "order_date"], sort=True).sum()
    last_day = work["order_date"].max()
    parts = []
    for (continent, currency), grouped in daily.groupby(
        level=["continent", "currency_code"], sort=True
    ):
        dated = grouped.droplevel(["continent", "currency_code"])
        calendar = pd.date_range(dated.index.min(), last_day, freq="D")
        series = dated.reindex(calendar, fill_value=0)
        values = series["net_revenue_usd"].to_numpy(dtype="float64")
        days, median, deviation, z = robust_scores(
            values, settings["window_days"], settings["min_history_days"]
        )
        parts.append(
            pd.DataFrame(
                {
                    "order_date": calendar.date,
                    "continent": continent,
                    "currency_code": currency,
                    "order_count": series["order_count"].to_numpy(dtype="int32"),
                    "net_revenue_usd": values.round(2),
                    "history_days": days.astype("int32"),
                    "baseline_median": median,
                    "baseline_deviation": deviation,
                    "robust_z": z,
                    "is_anomaly": np.abs(np.nan_to_num(z, nan=0.0)) > settings["z_threshold"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype(OUTPUT_TYPES)


def model(dbt, session):
    """Entry point dbt calls: fct_daily_sales in, one flagged row per series and day out."""
    dbt.config(packages=["pandas", "numpy"], python_version="3.11")
    settings = load_settings(dbt.config.meta_get("sales_anomalies"))
    sales = to_pandas(
        dbt.ref("fct_daily_sales"), group_by=["order_date", *SERIES], aggregates=DAILY_AGGREGATES
    )
    return from_pandas(flag_anomalies(sales, settings), session)
