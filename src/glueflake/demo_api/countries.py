"""The ``/v3.1/all`` payload: every ISO 3166-1 country in the REST Countries v3.1 shape.

Facts come from data packages, not from this file:

- ``pycountry`` (ISO 3166-1, 4217, 639-3): the list of countries, codes, official
  names, currency names and language codes/names.
- ``countryinfo``: capital, coordinates, area, population, region, subregion,
  borders, languages, top-level domains, time zones.
- ``babel`` (Unicode CLDR): the currencies in use per territory (CLDR is current;
  ``countryinfo`` still lists withdrawn codes such as HRK, MRO or VEF), currency
  symbols, official languages where ``countryinfo`` has none, and the first day of
  the week.

What none of them carries is filled by the small, labelled tables in
``_country_tables`` (landlocked, driving side, UN membership, transcontinental
countries, South America). Facts a package does not know stay unknown: the key is
left out (``capital``, ``currencies``, ``languages``, ``subregion``) or set to
``null`` (``area``, ``population``); nothing is invented.

The payload depends on the simulated day only through population, which grows by
0.08 % every 30 simulated days, so consecutive days almost always serve identical
bytes.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson
import pycountry
from babel import localedata
from babel.core import get_global
from babel.numbers import get_currency_symbol, get_territory_currencies
from countryinfo import CountryInfo

from glueflake.demo_api._country_tables import (
    ANTARCTIC,
    LANDLOCKED,
    LEFT_DRIVING,
    NON_UN_MEMBERS,
    SOUTH_AMERICA,
    TRANSCONTINENTAL,
    UN_OBSERVER_STATES,
)

CURRENCY_FACTS_DATE = date(2026, 3, 1)
"""Date at which CLDR's territory currencies are read (after Bulgaria's switch to EUR)."""

POPULATION_PERIOD_DAYS = 30
"""Population figures change once every this many simulated days."""

POPULATION_GROWTH_PER_PERIOD = 0.0008
"""Relative population growth applied per period (about 1 % a year)."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INVISIBLE = " \u200b\u200e\u200f\u00a0"
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")


def population_period(day: int) -> int:
    """Return the population period of a simulated day.

    Args:
        day: Simulated day number.

    Returns:
        ``day // 30``: the payload only changes when this value changes.
    """
    return day // POPULATION_PERIOD_DAYS


def countries(day: int) -> list[dict[str, Any]]:
    """Return the countries as served on ``day`` (a fresh, mutable copy).

    Args:
        day: Simulated day number.

    Returns:
        One dict per country, REST Countries v3.1 shape, sorted by ``cca3``.
    """
    result: list[dict[str, Any]] = orjson.loads(countries_json(day))
    return result


def countries_json(day: int) -> bytes:
    """Return the serialized ``/v3.1/all`` payload for ``day`` (cached per period).

    Args:
        day: Simulated day number.

    Returns:
        UTF-8 JSON bytes, identical for every day of the same population period.
    """
    return _payload_for_period(population_period(day))


def countries_etag(day: int) -> str:
    """Return a strong ETag for the payload of ``day``.

    Args:
        day: Simulated day number.

    Returns:
        A quoted entity tag derived from the payload bytes.
    """
    return _etag_for_period(population_period(day))


@functools.cache
def _etag_for_period(period: int) -> str:
    return '"' + hashlib.sha256(_payload_for_period(period)).hexdigest()[:32] + '"'


@functools.cache
def _payload_for_period(period: int) -> bytes:
    growth = 1.0 + POPULATION_GROWTH_PER_PERIOD * period
    out = []
    for record in _base_countries():
        base = record["population"]
        if base is None:
            out.append(record)
            continue
        copy = dict(record)
        copy["population"] = round(base * growth)
        out.append(copy)
    return orjson.dumps(out)


def shop_countries() -> list[tuple[str, int, tuple[str, ...]]]:
    """Return the countries the demo shop sells to, for weighted sampling.

    Returns:
        ``(cca2, base population, currency codes)`` for every inhabited country
        with known population and at least one currency, sorted by ``cca2``.
        Antarctica is never included.
    """
    rows = []
    for record in _base_countries():
        population = record["population"]
        currencies = tuple(record.get("currencies", {}))
        if record["cca2"] == "AQ" or not population or not currencies:
            continue
        rows.append((record["cca2"], int(population), currencies))
    return sorted(rows)


@functools.cache
def _base_countries() -> tuple[dict[str, Any], ...]:
    """Build every country once per process (day-independent facts)."""
    info = _countryinfo_by_alpha2()
    week = _first_weekday_by_territory()
    records = []
    for country in pycountry.countries:
        cca2: str = country.alpha_2
        entries = info.get(cca2, [])
        records.append(_build_country(country, entries, week.get(cca2, 0)))
    records.sort(key=lambda r: r["cca3"])
    valid_cca3 = {r["cca3"] for r in records}
    for record in records:
        own = record["cca3"]
        record["borders"] = [b for b in record["borders"] if b in valid_cca3 and b != own]
    return tuple(records)


def _build_country(country: Any, entries: list[dict[str, Any]], first_day: int) -> dict[str, Any]:
    cca2: str = country.alpha_2
    cca3: str = country.alpha_3
    facts = _merge_entries(entries, country.name)
    common = _common_name(country, facts.get("name"))
    official = getattr(country, "official_name", None) or country.name

    region: str = facts.get("region") or "Antarctic"
    subregion: str = facts.get("subregion") or ""
    capital: str | Any = facts.get("capital")
    if isinstance(capital, list):
        capital = capital[0] if capital else None
    capital_latlng = _latlng(facts.get("capital_latlng"))
    latlng = _latlng(facts.get("latlng")) or capital_latlng

    record: dict[str, Any] = {
        "name": {"common": common, "official": official},
        "cca2": cca2,
        "ccn3": country.numeric,
        "cca3": cca3,
        "independent": cca2 not in NON_UN_MEMBERS or cca2 in UN_OBSERVER_STATES,
        "unMember": cca2 not in NON_UN_MEMBERS,
    }
    currencies = _currencies(cca2)
    if currencies:
        record["currencies"] = currencies
    if capital:
        record["capital"] = [capital]
    record["region"] = region
    if subregion:
        record["subregion"] = subregion
    languages = _languages(cca2, facts.get("languages") or [])
    if languages:
        record["languages"] = languages
    area = facts.get("area")
    population = facts.get("population")
    record.update(
        {
            "latlng": latlng,
            "landlocked": cca2 in LANDLOCKED,
            "borders": _alpha3_codes(facts.get("borders") or []),
            "area": float(area) if area else None,
            "flag": getattr(country, "flag", ""),
            "population": int(population) if population else None,
            "tld": list(facts.get("tld") or []),
            "timezones": [tz.replace("\u2212", "-") for tz in facts.get("timezones") or []],
            "continents": _continents(cca2, region),
            "car": {"side": "left" if cca2 in LEFT_DRIVING else "right"},
            "startOfWeek": _WEEKDAYS[first_day],
            "capitalInfo": {"latlng": capital_latlng} if capital_latlng else {},
            "flags": {
                "png": f"https://flagcdn.com/w320/{cca2.lower()}.png",
                "svg": f"https://flagcdn.com/{cca2.lower()}.svg",
            },
            "maps": {
                "googleMaps": f"https://www.google.com/maps/search/?api=1&query={quote(common)}",
                "openStreetMaps": f"https://www.openstreetmap.org/search?query={quote(common)}",
            },
        }
    )
    return record


def _common_name(country: Any, countryinfo_name: str | None) -> str:
    """ISO's common name, else ISO's short name unless it is an inverted form."""
    common: str | None = getattr(country, "common_name", None)
    if common:
        return common
    short: str = country.name
    if ("," in short or "(" in short) and countryinfo_name and "," not in countryinfo_name:
        return countryinfo_name
    return short


def _alpha3_codes(codes: Iterable[Any]) -> list[str]:
    """Border codes as ISO alpha-3 (one package entry uses alpha-2)."""
    out: list[str] = []
    for raw in codes:
        code = raw if isinstance(raw, str) else ""
        if len(code) == 2:
            found = pycountry.countries.get(alpha_2=code.upper())
            code = found.alpha_3 if found is not None else ""
        if len(code) == 3 and code not in out:
            out.append(code)
    return out


def _merge_entries(entries: list[dict[str, Any]], iso_name: str) -> dict[str, Any]:
    """Merge duplicate ``countryinfo`` entries for one code (e.g. Myanmar and Burma).

    The entry with an ISO numeric code (the package's main data), then the most
    complete one, wins; the others only fill fields it lacks.
    """

    def rank(entry: dict[str, Any]) -> tuple[int, int, int, str]:
        has_numeric = bool((entry.get("ISO") or {}).get("numeric"))
        filled = sum(1 for value in entry.values() if value)
        named = 0 if entry.get("name") == iso_name else 1
        return (0 if has_numeric else 1, -filled, named, str(entry.get("name")))

    merged: dict[str, Any] = {}
    for entry in sorted(entries, key=rank):
        for key, value in entry.items():
            if value and not merged.get(key):
                merged[key] = value
    return merged


def _latlng(value: Any) -> list[float]:
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
    ):
        return [float(value[0]), float(value[1])]
    return []


def _continents(cca2: str, region: str) -> list[str]:
    if cca2 in TRANSCONTINENTAL:
        return list(TRANSCONTINENTAL[cca2])
    if cca2 in ANTARCTIC or region == "Antarctic":
        return ["Antarctica"]
    if region == "Americas":
        return ["South America" if cca2 in SOUTH_AMERICA else "North America"]
    return [region]


def _currencies(cca2: str) -> dict[str, dict[str, str]]:
    """Currencies in use (legal tender) per CLDR, named per ISO 4217."""
    codes = get_territory_currencies(cca2, CURRENCY_FACTS_DATE, tender=True, non_tender=False)
    out: dict[str, dict[str, str]] = {}
    for code in sorted(codes):
        iso = pycountry.currencies.get(alpha_3=code)
        if iso is None:  # not (or no longer) an ISO 4217 code: never served
            continue
        out[code] = {"name": iso.name, "symbol": _currency_symbol(code, cca2)}
    return out


def _currency_symbol(code: str, cca2: str) -> str:
    symbol: str = get_currency_symbol(code, locale="en")
    if symbol != code:
        return symbol
    # English has no symbol for it: ask the territory's main language (SEK -> kr).
    for language in _territory_languages(cca2, official_only=False)[:1]:
        for identifier in (f"{language}_{cca2}", language):
            local = _locale_currency_symbols(identifier).get(code, "")
            if local.strip(_INVISIBLE) and local != code:
                return local
    return symbol


@functools.cache
def _locale_currency_symbols(identifier: str) -> dict[str, str]:
    """Currency symbols defined by one CLDR locale file itself (no inheritance: fast)."""
    if not localedata.exists(identifier):
        return {}
    data = localedata.load(identifier, merge_inherited=False)
    return dict(data.get("currency_symbols") or {})


def _territory_languages(cca2: str, *, official_only: bool) -> list[str]:
    table: dict[str, dict[str, Any]] = get_global("territory_languages").get(cca2, {})
    ranked = sorted(table.items(), key=lambda kv: -float(kv[1].get("population_percent") or 0))
    return [
        lang
        for lang, meta in ranked
        if not official_only or meta.get("official_status") in {"official", "de_facto_official"}
    ]


def _languages(cca2: str, codes: Iterable[str]) -> dict[str, str]:
    out = _resolve_languages(codes)
    if not out:  # countryinfo has none (e.g. Malaysia): CLDR's official languages
        official = _territory_languages(cca2, official_only=True)
        out = _resolve_languages(lang.split("_")[0] for lang in official)
    return out


def _resolve_languages(codes: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code in codes:
        if not isinstance(code, str):
            continue
        lang = None
        if len(code) == 2:
            lang = pycountry.languages.get(alpha_2=code.lower())
        elif len(code) == 3:
            lang = pycountry.languages.get(alpha_3=code.lower())
        if lang is not None and lang.alpha_3 not in out:
            out[lang.alpha_3] = _PARENTHETICAL.sub("", lang.name).strip()
    return out


def _countryinfo_by_alpha2() -> dict[str, list[dict[str, Any]]]:
    by_code: dict[str, list[dict[str, Any]]] = {}
    for entry in CountryInfo.all().values():
        code = (entry.get("ISO") or {}).get("alpha2")
        if code:
            by_code.setdefault(str(code).upper(), []).append(dict(entry))
    return by_code


def _first_weekday_by_territory() -> dict[str, int]:
    """CLDR first day of the week per territory (0 = Monday, the world default).

    CLDR keeps week data per territory; babel stores it in each ``<lang>_<TERRITORY>``
    locale, so read one unmerged locale file per territory (fast, about 50 ms).
    """
    firsts: dict[str, int] = {}
    for identifier in sorted(localedata.locale_identifiers()):
        territory = identifier.rsplit("_", 1)[-1]
        if "_" not in identifier or len(territory) != 2 or not territory.isupper():
            continue
        if territory in firsts:
            continue
        week = localedata.load(identifier, merge_inherited=False).get("week_data") or {}
        first = week.get("first_day")
        firsts[territory] = int(first) if first is not None else 0
    return firsts


SAMPLE_CCA3: tuple[str, ...] = ("ATA", "FRA", "PAN", "RUS", "ZWE")
"""Countries in ``tests/sample.json``: no capital/currencies, plain, two currencies
(twice), two continents."""


def sample_countries(day: int = 0) -> list[dict[str, Any]]:
    """Return the few countries written to ``tests/sample.json``.

    Args:
        day: Simulated day (only population depends on it).

    Returns:
        The ``SAMPLE_CCA3`` countries exactly as ``/v3.1/all`` serves them.
    """
    return [c for c in countries(day) if c["cca3"] in SAMPLE_CCA3]
