"""The markets a partner may sell to: the EU-27 and the EFTA states, with their currencies."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

# ISO 3166-1 alpha-2 -> (display name, ISO 4217 currency). Names are lazy so each reader sees
# them in their own language.
EU27: dict[str, tuple[str, str]] = {
    "AT": (_("Austria"), "EUR"),
    "BE": (_("Belgium"), "EUR"),
    "BG": (_("Bulgaria"), "EUR"),
    "HR": (_("Croatia"), "EUR"),
    "CY": (_("Cyprus"), "EUR"),
    "CZ": (_("Czechia"), "CZK"),
    "DK": (_("Denmark"), "DKK"),
    "EE": (_("Estonia"), "EUR"),
    "FI": (_("Finland"), "EUR"),
    "FR": (_("France"), "EUR"),
    "DE": (_("Germany"), "EUR"),
    "GR": (_("Greece"), "EUR"),
    "HU": (_("Hungary"), "HUF"),
    "IE": (_("Ireland"), "EUR"),
    "IT": (_("Italy"), "EUR"),
    "LV": (_("Latvia"), "EUR"),
    "LT": (_("Lithuania"), "EUR"),
    "LU": (_("Luxembourg"), "EUR"),
    "MT": (_("Malta"), "EUR"),
    "NL": (_("Netherlands"), "EUR"),
    "PL": (_("Poland"), "PLN"),
    "PT": (_("Portugal"), "EUR"),
    "RO": (_("Romania"), "RON"),
    "SK": (_("Slovakia"), "EUR"),
    "SI": (_("Slovenia"), "EUR"),
    "ES": (_("Spain"), "EUR"),
    "SE": (_("Sweden"), "SEK"),
}

EFTA: dict[str, tuple[str, str]] = {
    "IS": (_("Iceland"), "ISK"),
    "LI": (_("Liechtenstein"), "CHF"),
    "NO": (_("Norway"), "NOK"),
    "CH": (_("Switzerland"), "CHF"),
}


def market_list(markets: dict[str, tuple[str, str]]) -> str:
    """The markets by their names in the reader's language, in its alphabetical order, each with
    its code for the API's callers: "Austria (AT), Belgium (BE)", not "AT, BE"."""
    named = [f"{name} ({code})" for code, (name, _currency) in markets.items()]
    return ", ".join(sorted(named, key=_collation_key))


def _collation_key(text: str) -> str:
    # Alphabetical as a reader expects it: "Österreich" among the O, "Dänemark" before "Deutschland".
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


MARKET_SETS: dict[str, dict[str, tuple[str, str]]] = {
    "EU": EU27,
    "EFTA": EFTA,
}


def parse_markets(spec: str) -> dict[str, tuple[str, str]]:
    """Expand a spec such as ``"EU+EFTA"`` or ``"EU+CH"`` into country -> (name, currency).

    Raises ``ValueError`` naming the part it does not know.
    """
    out: dict[str, tuple[str, str]] = {}
    everything = {**EU27, **EFTA}
    for part in (p.strip().upper() for p in spec.split("+")):
        if part in MARKET_SETS:
            out.update(MARKET_SETS[part])
        elif part in everything:
            out[part] = everything[part]
        else:
            raise ValueError(f"unknown market {part!r}; use EU, EFTA or EU/EFTA country codes joined by '+'")
    return out


def is_european(country: str) -> bool:
    return country.upper() in EU27 or country.upper() in EFTA
