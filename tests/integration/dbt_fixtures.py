"""Landing-table fixtures for the dbt integration tests.

Creates the ``landing`` tables exactly as ``docs/contracts.md`` defines them in a
DuckDB file and fills them with records shaped like the demo API's, including the
duplicates the real pipeline produces (overlapping incremental windows, a record
re-sent in a second file), so the raw models' deduplication has work to do.

Records come from ``glueflake.demo_api``'s data functions when that package is
importable (``DemoApiShop``), else from a small deterministic generator in this
module (``SyntheticShop``); ``GLUEFLAKE_DBT_FIXTURE_SOURCE=synthetic`` forces the
latter. The next step is a real extract+load from the demo API over HTTP.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import duckdb

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
LANDING_SCHEMA = "landing"
TABLES = ("restcountries__countries", "shop__customers", "shop__orders")
TIERS = ("bronze", "silver", "gold", "platinum")

Record = dict[str, Any]

# (cca2, cca3, common name, region, continents, currencies, capitals, languages,
#  population, area). Shaped like REST Countries v3.1; AQ has no capital and no
# currency, RU and TR sit on two continents, ZA has three capitals.
_COUNTRIES: tuple[tuple[Any, ...], ...] = (
    (
        "US",
        "USA",
        "United States",
        "Americas",
        ["North America"],
        {"USD": ("United States dollar", "$")},
        ["Washington, D.C."],
        {"eng": "English"},
        329484123,
        9372610.0,
    ),
    (
        "FR",
        "FRA",
        "France",
        "Europe",
        ["Europe"],
        {"EUR": ("Euro", "€")},
        ["Paris"],
        {"fra": "French"},
        67391582,
        551695.0,
    ),
    (
        "DE",
        "DEU",
        "Germany",
        "Europe",
        ["Europe"],
        {"EUR": ("Euro", "€")},
        ["Berlin"],
        {"deu": "German"},
        83240525,
        357114.0,
    ),
    (
        "GB",
        "GBR",
        "United Kingdom",
        "Europe",
        ["Europe"],
        {"GBP": ("British pound", "£")},
        ["London"],
        {"eng": "English"},
        67215293,
        242900.0,
    ),
    (
        "JP",
        "JPN",
        "Japan",
        "Asia",
        ["Asia"],
        {"JPY": ("Japanese yen", "¥")},
        ["Tokyo"],
        {"jpn": "Japanese"},
        125836021,
        377930.0,
    ),
    (
        "CA",
        "CAN",
        "Canada",
        "Americas",
        ["North America"],
        {"CAD": ("Canadian dollar", "$")},
        ["Ottawa"],
        {"eng": "English", "fra": "French"},
        38005238,
        9984670.0,
    ),
    (
        "AU",
        "AUS",
        "Australia",
        "Oceania",
        ["Oceania"],
        {"AUD": ("Australian dollar", "$")},
        ["Canberra"],
        {"eng": "English"},
        25687041,
        7692024.0,
    ),
    (
        "CH",
        "CHE",
        "Switzerland",
        "Europe",
        ["Europe"],
        {"CHF": ("Swiss franc", "Fr.")},
        ["Bern"],
        {"fra": "French", "gsw": "Swiss German", "ita": "Italian", "roh": "Romansh"},
        8654622,
        41284.0,
    ),
    (
        "SE",
        "SWE",
        "Sweden",
        "Europe",
        ["Europe"],
        {"SEK": ("Swedish krona", "kr")},
        ["Stockholm"],
        {"swe": "Swedish"},
        10353442,
        450295.0,
    ),
    (
        "BR",
        "BRA",
        "Brazil",
        "Americas",
        ["South America"],
        {"BRL": ("Brazilian real", "R$")},
        ["Brasília"],
        {"por": "Portuguese"},
        212559409,
        8515767.0,
    ),
    (
        "IN",
        "IND",
        "India",
        "Asia",
        ["Asia"],
        {"INR": ("Indian rupee", "₹")},
        ["New Delhi"],
        {"eng": "English", "hin": "Hindi", "tam": "Tamil"},
        1380004385,
        3287590.0,
    ),
    (
        "RU",
        "RUS",
        "Russia",
        "Europe",
        ["Europe", "Asia"],
        {"RUB": ("Russian ruble", "₽")},
        ["Moscow"],
        {"rus": "Russian"},
        144104080,
        17098242.0,
    ),
    (
        "TR",
        "TUR",
        "Turkey",
        "Asia",
        ["Europe", "Asia"],
        {"TRY": ("Turkish lira", "₺")},
        ["Ankara"],
        {"tur": "Turkish"},
        84339067,
        783562.0,
    ),
    (
        "ZA",
        "ZAF",
        "South Africa",
        "Africa",
        ["Africa"],
        {"ZAR": ("South African rand", "R")},
        ["Pretoria", "Bloemfontein", "Cape Town"],
        {"afr": "Afrikaans", "eng": "English", "zul": "Zulu"},
        59308690,
        1221037.0,
    ),
    ("AQ", "ATA", "Antarctica", "Antarctic", ["Antarctica"], None, None, None, 1000, 14000000.0),
)
# Countries customers live in and orders ship to: those whose currency has a rate.
_SHOP_COUNTRIES = ("US", "FR", "DE", "GB", "JP", "CA", "AU", "CH", "SE", "BR", "IN")
_CURRENCY_BY_COUNTRY = {c[0]: next(iter(c[5])) for c in _COUNTRIES if c[0] in _SHOP_COUNTRIES}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: int) -> datetime:
    """Midnight UTC at the start of simulated ``day`` (day 0 is 2026-01-01)."""
    return EPOCH + timedelta(days=day)


def day_date(day: int) -> date:
    """Calendar date of simulated ``day``."""
    return day_start(day).date()


@dataclass(frozen=True)
class SyntheticShop:
    """Deterministic records shaped like the demo API's, for a given day.

    Attributes:
        seed: Randomness seed; same seed, same records.
        scale: Number of orders that exist on ``reference_day``.
        reference_day: The day ``scale`` refers to; orders arrive at a steady rate.
    """

    seed: int = 7
    scale: int = 2_000
    reference_day: int = 300

    @property
    def customer_count(self) -> int:
        """Customers that exist (``max(100, scale // 10)``, as the demo API)."""
        return max(100, self.scale // 10)

    @property
    def orders_per_day(self) -> float:
        """Orders created per simulated day."""
        return self.scale / (self.reference_day + 1)

    def countries(self, day: int) -> list[Record]:
        """The ``/v3.1/all`` payload on ``day`` (population moves every 30 days)."""
        bump = day // 30
        out: list[Record] = []
        for (
            cca2,
            cca3,
            name,
            region,
            continents,
            currencies,
            capitals,
            languages,
            pop,
            area,
        ) in _COUNTRIES:
            record: Record = {
                "name": {"common": name, "official": f"Official {name}"},
                "cca2": cca2,
                "cca3": cca3,
                "independent": cca2 != "AQ",
                "unMember": cca2 != "AQ",
                "region": region,
                "subregion": region,
                "latlng": [10.0, 20.0],
                "landlocked": cca2 == "CH",
                "area": area,
                "population": pop + bump * 1_000,
                "continents": continents,
                "car": {"side": "left" if cca2 in ("GB", "JP", "AU", "IN", "ZA") else "right"},
                "startOfWeek": "monday",
            }
            if currencies is not None:
                record["currencies"] = {
                    code: {"name": cname, "symbol": symbol}
                    for code, (cname, symbol) in currencies.items()
                }
            if capitals is not None:
                record["capital"] = capitals
            if languages is not None:
                record["languages"] = languages
            out.append(record)
        return out

    def _customer_last_change_day(self, customer_id: int, day: int) -> int | None:
        # Each day about 1 in 40 customers changes tier or country.
        for change_day in range(day, 0, -1):
            if (customer_id * 7 + change_day * 13) % 40 == 0:
                return change_day
        return None

    def customer(self, customer_id: int, day: int) -> Record:
        """One customer as served on ``day``."""
        rng = random.Random(self.seed * 1_000_003 + customer_id)
        created = EPOCH - timedelta(days=365) + timedelta(hours=customer_id * 3)
        country = rng.choice(_SHOP_COUNTRIES)
        tier_index = rng.randrange(len(TIERS))
        updated = created
        changed = self._customer_last_change_day(customer_id, day)
        if changed is not None:
            changes = sum(1 for d in range(1, changed + 1) if (customer_id * 7 + d * 13) % 40 == 0)
            tier_index = (tier_index + changes) % len(TIERS)
            if changes % 2 == 0:
                country = _SHOP_COUNTRIES[(_SHOP_COUNTRIES.index(country) + 1) % 11]
            updated = day_start(changed) + timedelta(hours=8)
        return {
            "id": customer_id,
            "email": f"customer{customer_id}@example.com",
            "first_name": f"First{customer_id}",
            "last_name": f"Last{customer_id}",
            "country_code": country,
            "tier": TIERS[tier_index],
            "created_at": _iso(created),
            "updated_at": _iso(updated),
        }

    def customers(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Customers on ``day`` with ``updated_at >= updated_since``, ordered by id."""
        records = [self.customer(i, day) for i in range(1, self.customer_count + 1)]
        return _since(records, updated_since)

    def _order_created(self, order_id: int) -> datetime:
        created_day = int((order_id - 1) / self.orders_per_day)
        seconds = (order_id * 7_919) % 86_000
        return day_start(created_day) + timedelta(seconds=seconds)

    def order(self, order_id: int, day: int) -> Record | None:
        """One order as served on ``day`` (None if not yet created)."""
        created = self._order_created(order_id)
        now = day_start(day) + timedelta(hours=23, minutes=59, seconds=59)
        if created > now:
            return None
        rng = random.Random(self.seed * 7_368_787 + order_id)
        customer_id = rng.randrange(1, self.customer_count + 1)
        country = rng.choice(_SHOP_COUNTRIES)
        items = [
            {
                "sku": f"SKU-{rng.randrange(1, 500):05d}",
                "quantity": rng.randrange(1, 4),
                "unit_price": round(rng.uniform(2, 200), 2),
            }
            for _ in range(rng.randrange(1, 6))
        ]
        # Status timeline, in days after creation.
        timeline = [(0, "placed"), (1, "paid"), (2, "shipped"), (4, "delivered")]
        if order_id % 17 == 0:
            timeline = [(0, "placed"), (1, "cancelled")]
        elif order_id % 23 == 0:
            timeline.append((10, "returned"))
        status, updated = "placed", created
        for offset, step in timeline:
            moment = created if offset == 0 else day_start((created - EPOCH).days + offset)
            moment = max(moment, created)
            if moment <= now:
                status, updated = step, moment
        return {
            "id": order_id,
            "customer_id": customer_id,
            "status": status,
            "currency": _CURRENCY_BY_COUNTRY[country],
            "shipping_country": country,
            "items": items,
            "created_at": _iso(created),
            "updated_at": _iso(updated),
        }

    def orders(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Orders on ``day`` with ``updated_at >= updated_since``, ordered by id."""
        last = int((day + 1) * self.orders_per_day) + 1
        records = [o for i in range(1, last + 1) if (o := self.order(i, day)) is not None]
        return _since(records, updated_since)


class Shop(Protocol):
    """Where the fixture's records come from."""

    def countries(self, day: int) -> list[Record]:
        """The countries payload on ``day``."""
        ...

    def customers(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Customers on ``day`` updated since ``updated_since``."""
        ...

    def orders(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Orders on ``day`` updated since ``updated_since``."""
        ...


@dataclass(frozen=True)
class DemoApiShop:
    """Records from ``glueflake.demo_api``'s data functions (no HTTP).

    Attributes:
        seed: Demo world seed.
        scale: Demo scale (orders on the reference day).
    """

    seed: int = 7
    scale: int = 2_000

    def _settings(self, day: int) -> Any:
        from glueflake.demo_api import DemoSettings

        return DemoSettings(seed=self.seed, scale=self.scale, day=day)

    def countries(self, day: int) -> list[Record]:
        """The ``/v3.1/all`` payload on ``day``."""
        from glueflake.demo_api import countries

        return list(countries(day))

    def customers(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Customers on ``day`` with ``updated_at >= updated_since``."""
        from glueflake.demo_api import iter_customers

        return list(iter_customers(self._settings(day), updated_since))

    def orders(self, day: int, updated_since: datetime | None = None) -> list[Record]:
        """Orders on ``day`` with ``updated_at >= updated_since``."""
        from glueflake.demo_api import iter_orders

        return list(iter_orders(self._settings(day), updated_since))


def default_shop(scale: int = 2_000, reference_day: int = 300) -> Shop:
    """The demo API's generator when available, else the synthetic one."""
    if os.environ.get("GLUEFLAKE_DBT_FIXTURE_SOURCE", "") != "synthetic":
        try:
            import glueflake.demo_api  # noqa: F401
        except ImportError:
            pass
        else:
            return DemoApiShop(scale=scale)
    return SyntheticShop(scale=scale, reference_day=reference_day)


def _since(records: list[Record], updated_since: datetime | None) -> list[Record]:
    if updated_since is None:
        return records
    cutoff = _iso(updated_since)
    return [r for r in records if r["updated_at"] >= cutoff]


@dataclass
class LandingWriter:
    """Writes records into the landing tables as the loader would.

    Attributes:
        db_path: The DuckDB file.
        files_written: Lake-style file names written so far, per table.
    """

    db_path: Path
    files_written: dict[str, list[str]] = field(default_factory=dict)

    def create_tables(self) -> None:
        """Create the landing schema and tables per docs/contracts.md (idempotent)."""
        with duckdb.connect(str(self.db_path)) as con:
            con.execute(f"create schema if not exists {LANDING_SCHEMA}")
            for table in TABLES:
                con.execute(
                    f"""
                    create table if not exists {LANDING_SCHEMA}.{table} (
                        record json,
                        _file_name varchar,
                        _file_row_number bigint,
                        _file_last_modified timestamptz,
                        _run_id varchar,
                        _loaded_at timestamptz
                    )
                    """
                )

    def write_file(
        self,
        table: str,
        records: Sequence[Record],
        *,
        run_id: str,
        loaded_at: datetime,
        ingest_date: date,
    ) -> str:
        """Insert one "file" of records; returns its lake key."""
        source, entity = table.split("__")
        seq = len(self.files_written.setdefault(table, []))
        file_name = (
            f"raw/{source}/{entity}/ingest_date={ingest_date:%Y-%m-%d}/{run_id}-{seq:05d}.ndjson.gz"
        )
        # One statement per file (executemany is far too slow for thousands of rows).
        with duckdb.connect(str(self.db_path)) as con:
            con.execute(
                f"""
                insert into {LANDING_SCHEMA}.{table}
                select
                    cast(lines.record as json),
                    $file_name,
                    lines.row_number,
                    $modified,
                    $run_id,
                    $loaded_at
                from (
                    select
                        unnest($records::varchar[]) as record,
                        unnest(range(1, len($records::varchar[]) + 1)) as row_number
                ) as lines
                """,
                {
                    "records": [json.dumps(r) for r in records],
                    "file_name": file_name,
                    "modified": loaded_at - timedelta(seconds=5),
                    "run_id": run_id,
                    "loaded_at": loaded_at,
                },
            )
        self.files_written[table].append(file_name)
        return file_name

    def count(self, table: str) -> int:
        """Rows in a landing table."""
        with duckdb.connect(str(self.db_path)) as con:
            row = con.execute(f"select count(*) from {LANDING_SCHEMA}.{table}").fetchone()
        return int(row[0]) if row else 0


def _chunks(records: list[Record], size: int) -> Iterable[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


@dataclass(frozen=True)
class LoadedDay:
    """What one simulated extract+load put into the landing tables.

    Attributes:
        day: The simulated day.
        records: Records written per table, duplicates included.
        loaded_at: The load timestamp used.
    """

    day: int
    records: dict[str, list[Record]]
    loaded_at: datetime


def load_day(
    writer: LandingWriter,
    shop: Shop,
    day: int,
    *,
    previous_day: int | None = None,
    loaded_at: datetime | None = None,
) -> LoadedDay:
    """Simulate one pipeline run for ``day`` into the landing tables.

    The first run extracts everything; a later run extracts records updated since
    the start of ``previous_day`` (an overlapping window, as a careful incremental
    extract does), so unchanged records from that day arrive again. Orders are
    split into files of 500 whose boundaries overlap by 25 records, so the same
    order also appears twice inside one run.

    Args:
        writer: Landing writer for the target DuckDB file.
        shop: Record generator.
        day: Simulated day to extract.
        previous_day: Day of the previous run; None for a first, full extract.
        loaded_at: Load timestamp (defaults to now).

    Returns:
        What was written.
    """
    writer.create_tables()
    loaded_at = loaded_at or datetime.now(UTC)
    run_id = f"run{day:04d}-{int(loaded_at.timestamp())}"
    since = None if previous_day is None else day_start(previous_day)
    ingest = day_date(day)
    written: dict[str, list[Record]] = {table: [] for table in TABLES}

    countries = shop.countries(day)
    writer.write_file(TABLES[0], countries, run_id=run_id, loaded_at=loaded_at, ingest_date=ingest)
    written[TABLES[0]].extend(countries)

    customers = shop.customers(day, since)
    for chunk in _chunks(customers, 1_000):
        writer.write_file(TABLES[1], chunk, run_id=run_id, loaded_at=loaded_at, ingest_date=ingest)
        written[TABLES[1]].extend(chunk)

    orders = shop.orders(day, since)
    for start in range(0, len(orders), 500):
        chunk = orders[max(0, start - 25) : start + 500]
        writer.write_file(TABLES[2], chunk, run_id=run_id, loaded_at=loaded_at, ingest_date=ingest)
        written[TABLES[2]].extend(chunk)
    return LoadedDay(day=day, records=written, loaded_at=loaded_at)
