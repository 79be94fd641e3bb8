"""Defaults that follow from a country: its main time zone and its currency."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources

from babel.numbers import get_territory_currencies


@lru_cache(maxsize=1)
def _main_zones() -> dict[str, str]:
    """The first zone listed for each country in the tz database's zone.tab (its most
    populous: America/New_York for US, Europe/Berlin for DE)."""
    zones: dict[str, str] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            country, _, zone = line.split("\t")[:3]
            zones.setdefault(country, zone)
    return zones


def main_timezone(country: str) -> str | None:
    return _main_zones().get(country.split("-", 1)[0].upper())


def country_currency(country: str, on: date | None = None) -> str | None:
    found = get_territory_currencies(country.split("-", 1)[0].upper(), on or date.today())
    return found[0] if found else None
