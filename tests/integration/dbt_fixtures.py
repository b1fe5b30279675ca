"""Fixtures for the pipeline and dbt integration tests.

The pipeline config itself is conftest's ``demo_config``. ``for_day`` moves such a
config to another simulated day, as ``glueflake run --demo-day`` does. The rest reads
what a run left behind: the records its manifests commit, and the warehouse
(read-only).

``SyntheticShop`` is a small deterministic generator of records shaped like the demo
API's, for tests that write lake files by hand (the Snowflake dbt test).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from glueflake.config import PipelineConfig
from glueflake.lake import ObjectStore, list_manifests

PROJECT_DIR = Path(__file__).resolve().parents[2]
ENTITIES = (("restcountries", "countries"), ("shop", "customers"), ("shop", "orders"))
PRIMARY_KEYS = {"countries": "cca3", "customers": "id", "orders": "id"}


# --- a pipeline over the demo API, in a temporary folder -----------------------------


def for_day(config: PipelineConfig, day: int) -> PipelineConfig:
    """The same pipeline on another simulated day of the demo API."""
    return config.model_copy(update={"demo": config.demo.model_copy(update={"day": day})})


def manifest_records(store: ObjectStore, source: str, entity: str) -> int:
    """Records the entity's committed manifests count, over every run."""
    return sum(f.records for m in list_manifests(store, source, entity) for f in m.files)


def data_files(store: ObjectStore, source: str, entity: str) -> set[str]:
    """Keys of the entity's data files in the lake, committed or not."""
    return {
        info.key
        for info in store.list(f"raw/{source}/{entity}/")
        if info.key.endswith(".ndjson.gz")
    }


def query(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the warehouse, opened read-only."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def scalar(db_path: Path, sql: str) -> Any:
    """The first column of the first row of ``sql``."""
    return query(db_path, sql)[0][0]


# --- SyntheticShop ------------------------------------------------------------------

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
# The nested fields REST Countries v3.1 carries, for a few countries.
_RICH: dict[str, Record] = {
    "FRA": {
        "name": {
            "common": "France",
            "official": "Official France",
            "nativeName": {"fra": {"official": "République française", "common": "France"}},
        },
        "translations": {
            "deu": {"official": "Französische Republik", "common": "Frankreich"},
            "jpn": {"official": "フランス共和国", "common": "フランス"},
        },
        "demonyms": {
            "eng": {"f": "French", "m": "French"},
            "fra": {"f": "Française", "m": "Français"},
        },
        "idd": {"root": "+3", "suffixes": ["3"]},
        "tld": [".fr"],
        "timezones": ["UTC-10:00", "UTC+01:00", "UTC+05:30"],
        "gini": {"2018": 32.4, "2015": 32.7},
        "capitalInfo": {"latlng": [48.87, 2.33]},
    },
    "USA": {
        "idd": {"root": "+1", "suffixes": ["201", "202"]},
        "tld": [".us"],
        "timezones": ["UTC-05:00"],
        "gini": {"2019": 41.4},
    },
    "RUS": {"idd": {"root": "+7", "suffixes": []}, "subregion": "", "borders": []},
}
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
            record.update(_RICH.get(cca3, {}))
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


def _since(records: list[Record], updated_since: datetime | None) -> list[Record]:
    if updated_since is None:
        return records
    cutoff = _iso(updated_since)
    return [r for r in records if r["updated_at"] >= cutoff]
