"""Small, labelled facts that none of the data packages carries.

Each table is a short list of ISO 3166-1 alpha-2 codes, written from well-known
public facts (the UN member list, the list of landlocked countries, the list of
left-hand-traffic territories). They fill REST Countries fields that
``countryinfo``, ``pycountry`` and ``babel`` do not have.
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


LANDLOCKED: frozenset[str] = _codes(
    # The 44 landlocked states with an ISO 3166-1 code (Kosovo has none).
    "AD AF AM AT AZ BF BI BO BT BW BY CF CH CZ ET HU KG KZ LA LI LS LU MD MK ML MN "
    "MW NE NP PY RS RW SK SM SS SZ TD TJ TM UG UZ VA ZM ZW"
)

LEFT_DRIVING: frozenset[str] = _codes(
    # Territories where traffic keeps left; everywhere else keeps right.
    "AG AI AU BB BD BM BN BS BT BW CC CK CX CY DM FJ FK GB GD GG GY HK ID IE IM IN IO "
    "JE JM JP KE KI KN KY LC LK LS MO MS MT MU MV MW MY MZ NA NF NP NR NU NZ PG PK PN "
    "SB SC SG SH SR SZ TC TH TK TL TO TT TV TZ UG VC VG VI WS ZA ZM ZW"
)

NON_UN_MEMBERS: frozenset[str] = _codes(
    # ISO 3166-1 entries that are not one of the 193 UN member states.
    "AI AQ AS AW AX BL BM BQ BV CC CK CW CX EH FK FO GF GG GI GL GP GS GU HK HM IM IO "
    "JE KY MF MO MP MQ MS NC NF NU PF PM PN PR PS RE SH SJ SX TC TF TK TW UM VA VG VI "
    "WF YT"
)

UN_OBSERVER_STATES: frozenset[str] = frozenset({"PS", "VA"})
"""Non-member observer states; counted as independent."""

TRANSCONTINENTAL: dict[str, tuple[str, ...]] = {
    # Countries REST Countries places on two continents (first: where the capital is).
    "RU": ("Europe", "Asia"),
    "TR": ("Asia", "Europe"),
    "KZ": ("Asia", "Europe"),
    "AZ": ("Asia", "Europe"),
    "GE": ("Asia", "Europe"),
    "EG": ("Africa", "Asia"),
}

SOUTH_AMERICA: frozenset[str] = _codes(
    # Territories of the Americas on the South American continent.
    "AR BO BR CL CO EC FK GF GY PE PY SR UY VE"
)

ANTARCTIC: frozenset[str] = _codes(
    # Territories on or around Antarctica (continent "Antarctica").
    "AQ BV GS HM TF"
)
