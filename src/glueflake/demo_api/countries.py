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

- ``pycountry``'s gettext catalogues (Debian's iso-codes translations): the
  name in other languages (``translations``) and in the country's own languages
  (``name.nativeName``); ``countryinfo``'s native name where no catalogue covers
  the language.
- ``countryinfo`` again: calling codes (``idd``), other spellings, demonym.

What none of them carries is filled by the small, labelled tables in
``_country_tables`` (landlocked, driving side, UN membership, transcontinental
countries, South America). Every key of the real API is always present, and a
fact no package knows takes the real API's empty form for "none": ``""``
(``subregion``, ``cioc``, ``fifa``, ``flags.alt``), ``[]`` (``capital``,
``car.signs``) or ``{}`` (``currencies``, ``gini``, ``coatOfArms``,
``postalCode``); ``area`` and ``population`` are ``null`` when unknown. Nothing is
invented. Where a catalogue has no official name in a language, the official form
is the common one.

The payload depends on the simulated day only through population, which grows by
0.08 % every 30 simulated days, so consecutive days almost always serve identical
bytes.
"""

from __future__ import annotations

import functools
import gettext
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
    languages = _languages(cca2, facts.get("languages") or [])
    area = facts.get("area")
    population = facts.get("population")
    demonym = facts.get("demonym")
    flag_code = cca2.lower()
    return {
        "name": {
            "common": common,
            "official": official,
            "nativeName": _native_names(country, languages, facts.get("nativeName")),
        },
        "tld": list(facts.get("tld") or []),
        "cca2": cca2,
        "ccn3": country.numeric,
        "cca3": cca3,
        "cioc": "",
        "independent": cca2 not in NON_UN_MEMBERS or cca2 in UN_OBSERVER_STATES,
        "status": "officially-assigned",
        "unMember": cca2 not in NON_UN_MEMBERS,
        "currencies": _currencies(cca2),
        "idd": _idd(facts.get("callingCodes") or []),
        "capital": [capital] if capital else [],
        "altSpellings": [str(a) for a in facts.get("altSpellings") or [] if a],
        "region": region,
        "subregion": subregion,
        "languages": languages,
        "translations": _translations(country),
        "latlng": latlng,
        "landlocked": cca2 in LANDLOCKED,
        "borders": _alpha3_codes(facts.get("borders") or []),
        "area": float(area) if area else None,
        "demonyms": {"eng": {"f": demonym, "m": demonym}} if demonym else {},
        "flag": getattr(country, "flag", ""),
        "maps": {
            "googleMaps": f"https://www.google.com/maps/search/?api=1&query={quote(common)}",
            "openStreetMaps": f"https://www.openstreetmap.org/search?query={quote(common)}",
        },
        "population": int(population) if population else None,
        "gini": {},
        "fifa": "",
        "car": {"signs": [], "side": "left" if cca2 in LEFT_DRIVING else "right"},
        "timezones": [tz.replace("\u2212", "-") for tz in facts.get("timezones") or []],
        "continents": _continents(cca2, region),
        "flags": {
            "png": f"https://flagcdn.com/w320/{flag_code}.png",
            "svg": f"https://flagcdn.com/{flag_code}.svg",
            "alt": "",
        },
        "coatOfArms": {},
        "startOfWeek": _WEEKDAYS[first_day],
        "capitalInfo": {"latlng": capital_latlng} if capital_latlng else {},
        "postalCode": {},
    }


TRANSLATION_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("ara", "ar"),
    ("bre", "br"),
    ("ces", "cs"),
    ("cym", "cy"),
    ("deu", "de"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("ita", "it"),
    ("jpn", "ja"),
    ("kor", "ko"),
    ("nld", "nl"),
    ("per", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("rus", "ru"),
    ("slk", "sk"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tur", "tr"),
    ("urd", "ur"),
    ("zho", "zh_CN"),
)
"""The languages REST Countries v3.1 translates names into (its code, the catalogue's)."""


def _translations(country: Any) -> dict[str, dict[str, str]]:
    """The country's official and common name in each of ``TRANSLATION_LANGUAGES``."""
    out: dict[str, dict[str, str]] = {}
    for code, locale in TRANSLATION_LANGUAGES:
        names = _localized_names(country, locale)
        if names is not None:
            out[code] = names
    return out


def _native_names(
    country: Any, languages: dict[str, str], countryinfo_native: Any
) -> dict[str, dict[str, str]]:
    """The name in each of the country's languages that a catalogue covers.

    A country whose languages no catalogue covers gets ``countryinfo``'s native
    name under its first language; one with neither gets ``{}``.
    """
    out: dict[str, dict[str, str]] = {}
    for code in languages:
        locale = _catalogue_locale(code)
        names = _localized_names(country, locale) if locale else None
        if names is not None:
            out[code] = names
    if not out and languages and isinstance(countryinfo_native, str) and countryinfo_native:
        out[next(iter(languages))] = {"official": countryinfo_native, "common": countryinfo_native}
    return out


def _localized_names(country: Any, locale: str) -> dict[str, str] | None:
    catalogue = _catalogue(locale)
    if catalogue is None:
        return None
    short: str = country.name
    common_msgid: str = getattr(country, "common_name", None) or short
    official_msgid: str = getattr(country, "official_name", None) or short
    return {
        "official": catalogue.gettext(official_msgid),
        "common": catalogue.gettext(common_msgid),
    }


@functools.cache
def _catalogue(locale: str) -> gettext.NullTranslations | None:
    """The ISO 3166-1 name catalogue pycountry has for ``locale`` (None if none)."""
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return None


def _catalogue_locale(language_alpha3: str) -> str | None:
    """The catalogue locale of an ISO 639-3 language (``fra`` -> ``fr``), if any."""
    language = pycountry.languages.get(alpha_3=language_alpha3)
    alpha2 = getattr(language, "alpha_2", None) if language is not None else None
    for locale in (alpha2, language_alpha3):
        if locale and _catalogue(locale) is not None:
            return locale
    return None


def _idd(calling_codes: Iterable[Any]) -> dict[str, Any]:
    """REST Countries' ``idd``: the first digit as ``root``, the rest as ``suffixes``.

    ``["33"]`` gives ``{"root": "+3", "suffixes": ["3"]}``; ``["1"]`` gives
    ``{"root": "+1", "suffixes": []}``; no code gives ``{}``. Codes under another
    root than the first one's are left out (the API has one root per country).
    """
    digits = ["".join(ch for ch in str(code) if ch.isdigit()) for code in calling_codes]
    digits = [d for d in digits if d]
    if not digits:
        return {}
    root = digits[0][0]
    suffixes: list[str] = []
    for code in digits:
        if code[0] == root and code[1:] and code[1:] not in suffixes:
            suffixes.append(code[1:])
    return {"root": f"+{root}", "suffixes": suffixes}


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
