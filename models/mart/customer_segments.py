"""RFM segments: every customer with orders, scored on recency, frequency and monetary value.

The warehouse reduces fct_orders to one row per customer (first and latest order
date, orders placed, net revenue in USD with cancelled and returned orders counting
0, and the continent or country of the latest order: the highest order id, as ids
grow with time); only those rows reach pandas. Each measure is then scored 1..bins
by where the customer stands in their peer group (that continent or country): the
score is 1 + floor(bins * share of the group strictly worse on that measure), so
ties share a score and a group of one-order customers all score 1 on frequency. A
group smaller than ``min_peer_group_size`` is scored against all customers instead.
The three scores pick a segment label by the first matching rule. Recency counts
days back from the latest order date in the data, so a rebuild of the same data
gives the same scores. The rules live in dbt_project.yml (``vars: rfm``) and reach
the model through its ``config.meta`` (``_mart__models.yml``).

A dbt Python model written once for both platforms: dbt-duckdb runs it in-process on
the embedded default, dbt-snowflake runs it as a Snowpark stored procedure. The
scoring (`score_customers`) is plain pandas; `to_pandas` and `from_pandas` are the
only places the platforms differ. dbt Python models cannot import project modules,
so everything the model needs is in this file (tests load it with importlib).
"""

import json

import numpy as np
import pandas as pd

PEER_GROUPS = {
    "continent": ("shipping_continent", "Unknown"),
    "country": ("shipping_country_code", "UNK"),
}
"""``peer_group`` setting -> (fct_orders column, label when it is null)."""

CUSTOMER_AGGREGATES = (
    ("first_order_date", "min(order_date)"),
    ("last_order_date", "max(order_date)"),
    ("order_count", "count(*)"),
    (
        "net_revenue_usd",
        "coalesce(sum(case when not is_cancelled_or_returned then revenue_usd else 0 end), 0)",
    ),
)
"""Per customer, computed in the warehouse: (column, SQL aggregate valid on both)."""

OUTPUT_TYPES = {
    "customer_id": "int64",
    "peer_group": "object",
    "peer_group_size": "int32",
    "scored_within_peer_group": "bool",
    "first_order_date": "object",
    "last_order_date": "object",
    "reference_date": "object",
    "recency_days": "int32",
    "order_count": "int32",
    "net_revenue_usd": "float64",
    "recency_score": "int32",
    "frequency_score": "int32",
    "monetary_score": "int32",
    "rfm_score": "object",
    "segment": "object",
}
"""The model's columns in order, with the pandas dtype each leaves in (see the contract)."""


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


# --- the rules ---------------------------------------------------------------------------


class RulesError(ValueError):
    """The ``rfm`` var is not a valid rule set; the message names the bad field."""


def load_rules(raw):
    """The ``rfm`` rules from dbt_project.yml, checked.

    Args:
        raw: the var as dbt hands it to the model: a mapping, or its JSON text.

    Returns:
        A dict with ``peer_group``, ``bins``, ``min_peer_group_size``,
        ``default_segment`` and ``segments`` (a list of ``{segment, r, f, m}`` with
        each of r/f/m an inclusive ``(low, high)`` score range, absent meaning any).

    Raises:
        RulesError: naming the first bad field.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise RulesError(f"vars.rfm: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise RulesError(f"vars.rfm: expected a mapping, got {type(raw).__name__}")
    known = {"peer_group", "bins", "min_peer_group_size", "default_segment", "segments"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise RulesError(
            f"vars.rfm.{unknown[0]}: unknown setting (known: {', '.join(sorted(known))})"
        )
    peer_group = raw.get("peer_group", "continent")
    if peer_group not in PEER_GROUPS:
        raise RulesError(
            f"vars.rfm.peer_group: expected one of {sorted(PEER_GROUPS)}, got {peer_group!r}"
        )
    bins = checked_int(raw.get("bins", 5), "vars.rfm.bins", 2, 9)
    min_size = checked_int(raw.get("min_peer_group_size", 1), "vars.rfm.min_peer_group_size", 1)
    segments = raw.get("segments") or []
    if not isinstance(segments, list):
        raise RulesError("vars.rfm.segments: expected a list of rules")
    return {
        "peer_group": peer_group,
        "bins": bins,
        "min_peer_group_size": min_size,
        "default_segment": checked_name(raw.get("default_segment"), "vars.rfm.default_segment"),
        "segments": [
            checked_rule(rule, f"vars.rfm.segments[{index}]", bins)
            for index, rule in enumerate(segments)
        ],
    }


def checked_int(value, field, low, high=None):
    """``value`` if it is an integer in [low, high] (no upper bound when high is None)."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        wanted = f"from {low} to {high}" if high is not None else f">= {low}"
        raise RulesError(f"{field}: expected an integer {wanted}, got {value!r}")
    return value


def checked_name(value, field):
    """``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value:
        raise RulesError(f"{field}: expected a segment name, got {value!r}")
    return value


def checked_rule(rule, where, bins):
    """One segment rule as ``{segment, r?, f?, m?}`` with (low, high) score ranges."""
    if not isinstance(rule, dict):
        raise RulesError(f"{where}: expected a mapping with segment and r/f/m ranges")
    extra = sorted(set(rule) - {"segment", "r", "f", "m"})
    if extra:
        raise RulesError(f"{where}.{extra[0]}: unknown key (expected segment, r, f, m)")
    item = {"segment": checked_name(rule.get("segment"), f"{where}.segment")}
    for key in ("r", "f", "m"):
        if key not in rule:
            continue
        bounds = rule[key]
        if (
            not isinstance(bounds, list)
            or len(bounds) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            or not 1 <= bounds[0] <= bounds[1] <= bins
        ):
            raise RulesError(
                f"{where}.{key}: expected [low, high] with 1 <= low <= high <= bins ({bins}), "
                f"got {bounds!r}"
            )
        item[key] = (bounds[0], bounds[1])
    return item


# --- the scoring -------------------------------------------------------------------------


def quantile_score(values, groups, bins, higher_is_better):
    """1 + floor(bins * share of the group strictly worse), per row.

    Args:
        values: the measure, one row per customer.
        groups: the group of each row (same index).
        bins: the top score.
        higher_is_better: True for frequency and money, False for recency (days).
    """
    worse = values.groupby(groups, sort=False).rank(method="min", ascending=higher_is_better)
    worse = worse.to_numpy(dtype="int64") - 1
    sizes = groups.map(groups.value_counts()).to_numpy(dtype="int64")
    return (1 + (bins * worse) // sizes).astype("int32")


def empty_result():
    """The model's columns with no rows."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in OUTPUT_TYPES.items()})


def customer_aggregates(rules):
    """`CUSTOMER_AGGREGATES` plus the peer group the rules ask for."""
    column, unknown = PEER_GROUPS[rules["peer_group"]]
    latest = f"max_by(coalesce({column}, '{unknown}'), order_id)"
    return (*CUSTOMER_AGGREGATES, ("peer_group", latest))


def score_customers(customers, rules):
    """RFM scores and segment of each customer.

    Args:
        customers: one row per customer with ``customer_id`` and the columns of
            `customer_aggregates` (what `to_pandas` returns), any order.
        rules: from `load_rules`.

    Returns:
        The columns of `OUTPUT_TYPES`, one row per customer, ordered by customer_id.
    """
    if customers.empty:
        return empty_result()
    customers = pd.DataFrame(
        {
            "first_order_date": pd.to_datetime(customers["first_order_date"]).to_numpy(),
            "last_order_date": pd.to_datetime(customers["last_order_date"]).to_numpy(),
            "order_count": pd.to_numeric(customers["order_count"]).to_numpy(dtype="int64"),
            "net_revenue_usd": pd.to_numeric(customers["net_revenue_usd"])
            .astype("float64")
            .fillna(0.0)
            .round(2)
            .to_numpy(),
            "peer_group": customers["peer_group"].to_numpy(dtype=object),
        },
        index=pd.Index(customers["customer_id"].to_numpy(dtype="int64"), name="customer_id"),
    ).sort_index()
    reference = customers["last_order_date"].max()
    customers["recency_days"] = (reference - customers["last_order_date"]).dt.days

    bins = rules["bins"]
    sizes = customers["peer_group"].map(customers["peer_group"].value_counts())
    within = (sizes >= rules["min_peer_group_size"]).to_numpy()
    everyone = pd.Series("all", index=customers.index)
    measures = {
        "recency_score": ("recency_days", False),
        "frequency_score": ("order_count", True),
        "monetary_score": ("net_revenue_usd", True),
    }
    for score, (measure, higher_is_better) in measures.items():
        in_group = quantile_score(
            customers[measure], customers["peer_group"], bins, higher_is_better
        )
        overall = quantile_score(customers[measure], everyone, bins, higher_is_better)
        customers[score] = np.where(within, in_group, overall).astype("int32")

    r = customers["recency_score"].to_numpy()
    f = customers["frequency_score"].to_numpy()
    m = customers["monetary_score"].to_numpy()
    segment = np.full(len(customers), rules["default_segment"], dtype=object)
    open_rows = np.ones(len(customers), dtype=bool)
    for rule in rules["segments"]:
        match = open_rows.copy()
        for key, values in (("r", r), ("f", f), ("m", m)):
            if key in rule:
                low, high = rule[key]
                match &= (values >= low) & (values <= high)
        segment[match] = rule["segment"]
        open_rows &= ~match

    result = pd.DataFrame(
        {
            "customer_id": customers.index.to_numpy(dtype="int64"),
            "peer_group": customers["peer_group"].to_numpy(dtype=object),
            "peer_group_size": sizes.to_numpy(dtype="int32"),
            "scored_within_peer_group": within,
            "first_order_date": customers["first_order_date"].dt.date.to_numpy(dtype=object),
            "last_order_date": customers["last_order_date"].dt.date.to_numpy(dtype=object),
            "reference_date": np.full(len(customers), reference.date(), dtype=object),
            "recency_days": customers["recency_days"].to_numpy(dtype="int32"),
            "order_count": customers["order_count"].to_numpy(dtype="int32"),
            "net_revenue_usd": customers["net_revenue_usd"].to_numpy(dtype="float64"),
            "recency_score": r,
            "frequency_score": f,
            "monetary_score": m,
            "rfm_score": [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)],
            "segment": segment,
        }
    )
    return result.astype(OUTPUT_TYPES)


def model(dbt, session):
    """Entry point dbt calls: fct_orders in (reduced per customer), one scored row out."""
    dbt.config(packages=["pandas", "numpy"], python_version="3.11")
    rules = load_rules(dbt.config.meta_get("rfm"))
    customers = to_pandas(
        dbt.ref("fct_orders"),
        group_by=["customer_id"],
        aggregates=customer_aggregates(rules),
        where="customer_id is not null",
    )
    return from_pandas(score_customers(customers, rules), session)
