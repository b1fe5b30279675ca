"""RFM segments: every customer with orders, scored on recency, frequency and monetary value.

Each measure is scored 1..bins by where the customer stands among the customers of
the same peer group (the continent, or the country, of their latest order's shipping
address): the score is 1 + floor(bins * share of the group strictly worse on that
measure), so ties share a score and a group of one-order customers all score 1 on
frequency. A group smaller than ``min_peer_group_size`` is scored against all
customers instead. The three scores then pick a segment label by the first matching
rule. Recency is counted in days back from the latest order date in the data, so a
rebuild of the same data gives the same scores. The rules live in dbt_project.yml
(``vars: rfm``) and reach the model through its config (``_mart__models.yml``).

A dbt Python model written once for both platforms: dbt-duckdb runs it in-process on
the embedded default, dbt-snowflake runs it as a Snowpark stored procedure. The
scoring (`score_customers`) is plain pandas; `to_pandas` and `from_pandas` are the
only places the platforms differ. dbt Python models cannot import project modules,
so everything the model needs is in this file (tests load it with importlib).
"""

import json

import numpy as np
import pandas as pd

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "order_date",
    "is_cancelled_or_returned",
    "shipping_country_code",
    "shipping_continent",
    "revenue_usd",
)
"""What the model reads from fct_orders (only these columns leave the warehouse)."""

PEER_GROUPS = {
    "continent": ("shipping_continent", "Unknown"),
    "country": ("shipping_country_code", "UNK"),
}
"""``peer_group`` setting -> (fct_orders column, label when it is null)."""

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
    """Whether ``relation`` is a Snowpark DataFrame (else a DuckDB relation or pandas)."""
    return type(relation).__module__.startswith("snowflake.snowpark")


def to_pandas(relation, columns):
    """The chosen columns of a dbt.ref() result as a pandas DataFrame, names lowercased.

    Args:
        relation: a DuckDB relation (dbt-duckdb), a Snowpark DataFrame (dbt-snowflake)
            or already a pandas DataFrame.
        columns: column names to keep; only these are fetched.
    """
    if isinstance(relation, pd.DataFrame):
        frame = relation.loc[:, list(columns)]
    elif is_snowpark(relation):
        # Snowflake folds unquoted names to upper case; to_pandas keeps them so.
        frame = relation.select(*[c.upper() for c in columns]).to_pandas()
    else:
        frame = relation.select(*columns).df()
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


def score_customers(orders, rules):
    """One row per customer with orders: RFM scores and segment.

    Args:
        orders: fct_orders rows with at least `ORDER_COLUMNS` (lower-case names).
            Orders without a customer are left out; cancelled and returned orders
            count for recency and frequency but add nothing to the money.
        rules: from `load_rules`.

    Returns:
        The columns of `OUTPUT_TYPES`, one row per customer, ordered by customer_id.
    """
    orders = orders.loc[orders["customer_id"].notna()]
    if orders.empty:
        return empty_result()
    column, unknown = PEER_GROUPS[rules["peer_group"]]
    cancelled = (
        orders["is_cancelled_or_returned"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    )
    revenue = pd.to_numeric(orders["revenue_usd"]).astype("float64").fillna(0.0).to_numpy()
    work = pd.DataFrame(
        {
            "customer_id": orders["customer_id"].astype("int64").to_numpy(),
            "order_id": orders["order_id"].to_numpy(),
            "order_date": pd.to_datetime(orders["order_date"]).dt.normalize().to_numpy(),
            "net_revenue_usd": np.where(cancelled, 0.0, revenue),
            "peer_group": orders[column]
            .astype("object")
            .where(orders[column].notna(), unknown)
            .to_numpy(),
        }
    )
    # the latest order (then the highest order id) names the peer group
    work = work.sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    customers = work.groupby("customer_id", sort=True).agg(
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        order_count=("order_id", "size"),
        net_revenue_usd=("net_revenue_usd", "sum"),
        peer_group=("peer_group", "last"),
    )
    reference = work["order_date"].max()
    customers["recency_days"] = (reference - customers["last_order_date"]).dt.days
    customers["net_revenue_usd"] = customers["net_revenue_usd"].round(2)

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
    """Entry point dbt calls: fct_orders in, one scored row per customer out."""
    dbt.config(packages=["pandas", "numpy"], python_version="3.11")
    rules = load_rules(dbt.config.get("rfm"))
    orders = to_pandas(dbt.ref("fct_orders"), ORDER_COLUMNS)
    return from_pandas(score_customers(orders, rules), session)
