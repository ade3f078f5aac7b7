"""Per-record identifier noise: how one true person ends up written down differently by each agency.

Rates are per record and scaled by the submitter's ``name_noise`` knob. Each operation is a vectorised
transform of a random subset: typos (a dropped, doubled or swapped letter), nicknames (Bob for Robert),
forename and surname swapped, capitals, day and month transposed, an age instead of a date of birth,
missing fields and other address formats (Rd for Road, no house number, lower-case postcode without a
space). Linkage quality is measured against exactly this noise, so each rate is a stated knob.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from clearsight.synth.population import STRING

_ABBREVIATIONS = [
    ("Road", "Rd"),
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Gardens", "Gdns"),
    ("Crescent", "Cres"),
    ("Terrace", "Terr"),
    ("Place", "Pl"),
]
_CP1252_FOLD = {
    "ł": "l",
    "Ł": "L",
    "ś": "s",
    "Ś": "S",
    "ż": "z",
    "Ż": "Z",
    "ź": "z",
    "ć": "c",
    "ń": "n",
    "ą": "a",
    "ę": "e",
    "ș": "s",
    "ş": "s",
    "ț": "t",
    "ţ": "t",
    "ı": "i",
    "İ": "I",
    "ğ": "g",
    "ė": "e",
    "ų": "u",
    "ū": "u",
    "č": "c",
    "Č": "C",
    "ă": "a",
    "ő": "o",
    "ű": "u",
    "ř": "r",
    "ě": "e",
    "ů": "u",
    "ň": "n",
    "ď": "d",
    "ť": "t",
    "Ş": "S",
    "Ș": "S",
    "Ț": "T",
    "ā": "a",
    "ī": "i",
    "ē": "e",
    "ķ": "k",
    "ļ": "l",
    "ņ": "n",
    "ģ": "g",
    "Ă": "A",
    "Ą": "A",
    "Ę": "E",
}
RATES = {
    "typo_forename": 0.03,
    "typo_surname": 0.03,
    "nickname": 0.08,
    "swap_names": 0.015,
    "upper": 0.06,
    "missing_forename": 0.01,
    "missing_surname": 0.015,
    "transpose_dob": 0.02,
    "dob_year": 0.01,
    "age_only": 0.06,
    "no_age": 0.015,
    "postcode_compact": 0.06,
    "postcode_missing": 0.06,
    "address_abbrev": 0.25,
    "address_no_number": 0.05,
    "address_lower": 0.05,
    "address_missing": 0.05,
}


def _subset(rng: np.random.Generator, n: int, rate: float, scale: np.ndarray) -> np.ndarray:
    return rng.random(n) < np.minimum(rate * scale, 0.9)


def typo(rng: np.random.Generator, text: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Drop, double or swap one letter (never the first) in the chosen strings of length >= 4."""
    out = text.copy()
    length = np.strings.str_len(text)
    chosen = chosen & (length >= 4)
    index = np.flatnonzero(chosen)
    if not len(index):
        return out
    word = text[index]
    k = 1 + (rng.random(len(index)) * (length[index] - 2)).astype(np.int64)
    op = rng.integers(0, 3, size=len(index))
    head, at, nxt, tail2, tail1 = (
        np.strings.slice(word, 0, k),
        np.strings.slice(word, k, k + 1),
        np.strings.slice(word, k + 1, k + 2),
        np.strings.slice(word, k + 2, None),
        np.strings.slice(word, k + 1, None),
    )
    dropped = np.strings.add(head, tail1)
    doubled = np.strings.add(np.strings.add(np.strings.add(head, at), at), tail1)
    swapped = np.strings.add(np.strings.add(np.strings.add(head, nxt), at), tail2)
    out[index] = np.where(op == 0, dropped, np.where(op == 1, doubled, swapped))
    return out


def _plain(char: str) -> str:
    """A Windows-1252 stand-in for one character: its base letter, else its explicit fold, else '?'."""
    if char in _CP1252_FOLD:
        return _CP1252_FOLD[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        base.encode("cp1252")
        return base
    except UnicodeEncodeError:
        return "?"


def fold_cp1252(text: np.ndarray) -> np.ndarray:
    """Replace letters Windows-1252 cannot hold with their base letter (Ń -> N), as legacy systems do."""
    out = text.astype(STRING)
    if not len(out):
        return out
    characters = set("".join(out.tolist()))
    for char in sorted(characters):
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            out = np.strings.replace(out, char, _plain(char))
    return out


def noisy_names(
    rng: np.random.Generator, forename: np.ndarray, surname: np.ndarray, nickname: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Forename and surname as recorded; ``nickname`` holds an alternative form ('' where none)."""
    n = len(forename)
    fore, sur = forename.astype(STRING), surname.astype(STRING)
    use_nick = _subset(rng, n, RATES["nickname"], scale) & (np.strings.str_len(nickname) > 0)
    fore = np.where(use_nick, nickname, fore)
    fore = typo(rng, fore, _subset(rng, n, RATES["typo_forename"], scale))
    sur = typo(rng, sur, _subset(rng, n, RATES["typo_surname"], scale))
    swap = _subset(rng, n, RATES["swap_names"], scale)
    fore, sur = np.where(swap, sur, fore), np.where(swap, fore, sur)
    upper = _subset(rng, n, RATES["upper"], scale)
    sur = np.where(upper, np.strings.upper(sur), sur)
    fore = np.where(_subset(rng, n, RATES["missing_forename"], scale), "", fore)
    sur = np.where(_subset(rng, n, RATES["missing_surname"], scale), "", sur)
    return fore, sur


def noisy_dob(
    rng: np.random.Generator, dob: np.ndarray, at_day: np.ndarray, scale: np.ndarray, age_only_extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(date of birth as int days or -1, age in years or -1): transposed day/month, wrong year, or only an
    age."""
    n = len(dob)
    d = dob.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    dom = (d - months).astype(np.int64) + 1
    transpose = _subset(rng, n, RATES["transpose_dob"], scale) & (dom <= 12) & (dom != month)
    shift = _subset(rng, n, RATES["dob_year"], scale)
    year = year + np.where(shift, rng.choice([-1, 1], size=n), 0)
    new_month = np.where(transpose, dom, month)
    new_dom = np.where(transpose, month, dom)
    rebuilt = (
        np.array(year - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + (new_month - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (new_dom - 1).astype("timedelta64[D]")
    days = (rebuilt - np.datetime64("1970-01-01")).astype(np.int64)
    true_days = (d - np.datetime64("1970-01-01")).astype(np.int64)
    age = ((at_day - true_days) / 365.25).astype(np.int64)
    age_only = _subset(rng, n, RATES["age_only"], scale) | (rng.random(n) < age_only_extra)
    nothing = _subset(rng, n, RATES["no_age"], scale)
    days = np.where(age_only | nothing | (days > at_day), -1, days)
    age = np.where(age_only & ~nothing, np.maximum(age, 0), -1)
    return days, age


def noisy_postcode(rng: np.random.Generator, postcode: np.ndarray, scale: np.ndarray) -> np.ndarray:
    n = len(postcode)
    out = postcode.astype(STRING)
    compact = _subset(rng, n, RATES["postcode_compact"], scale)
    out = np.where(compact, np.strings.lower(np.strings.replace(out, " ", "")), out)
    return np.where(_subset(rng, n, RATES["postcode_missing"], scale), "", out)


def noisy_address(rng: np.random.Generator, address: np.ndarray, scale: np.ndarray) -> np.ndarray:
    n = len(address)
    out = address.astype(STRING)
    abbreviate = _subset(rng, n, RATES["address_abbrev"], scale)
    short = out
    for word, abbreviation in _ABBREVIATIONS:
        short = np.strings.replace(short, f" {word},", f" {abbreviation},")
    out = np.where(abbreviate, short, out)
    no_number = _subset(rng, n, RATES["address_no_number"], scale)
    stripped = np.strings.lstrip(np.strings.lstrip(out, "0123456789"), " ")
    out = np.where(no_number & ~np.strings.startswith(out, "Flat"), stripped, out)
    out = np.where(_subset(rng, n, RATES["address_lower"], scale), np.strings.lower(out), out)
    return np.where(_subset(rng, n, RATES["address_missing"], scale), "", out)


def phone_formats(rng: np.random.Generator, phone: np.ndarray) -> np.ndarray:
    """'07700 900123', '07700900123' or '+447700900123'."""
    compact = np.strings.replace(phone.astype(STRING), " ", "")
    international = np.strings.add("+44", np.strings.slice(compact, 1, None))
    style = rng.integers(0, 3, size=len(phone))
    out = np.where(style == 0, phone, np.where(style == 1, compact, international))
    return np.where(np.strings.str_len(phone) > 0, out, "")
