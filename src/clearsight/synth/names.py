"""Name pools by naming tradition, built once from Faker's locale data and sampled with numpy.

Faker's providers hold the name lists of many locales; reading them directly (rather than calling Faker per
record) keeps the hot path vectorised. Weights follow each list's own frequencies where Faker gives them
(en_GB surnames) and a Zipf-like curve over a seeded order otherwise, so that common names repeat as they
do in real registers: linkage must cope with many John Smiths. A few short curated lists fill traditions
that Faker lacks in Latin script (British Pakistani and Bangladeshi, Arab); they are common given names
and surnames, not real people.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

# naming tradition of each self-defined ethnicity code (names follow tradition, not code, in real life:
# the mapping is a simplification that gives each area a plausible mix of names)
TRADITION_OF_ETHNICITY: dict[str, str] = {
    "W1": "british",
    "W2": "irish",
    "W3": "british",
    "W9": "east_european",
    "M1": "british",
    "M2": "british",
    "M3": "british",
    "M9": "british",
    "A1": "indian",
    "A2": "pakistani",
    "A3": "bangladeshi",
    "A4": "chinese",
    "A9": "indian",
    "B1": "british",
    "B2": "african",
    "B9": "african",
    "O2": "arab",
    "O9": "turkish",
}

_SOUTH_ASIAN_MUSLIM_MALE = (
    "Mohammed Muhammad Mohammad Imran Adil Asif Bilal Faisal Hamza Haroon Hassan Ibrahim Irfan Kamran "
    "Nadeem Naveed Omar Rizwan Sajid Shahid Tariq Usman Waqas Yasir Zubair Zain Ayaan Rayan Arham Amir "
    "Aftab Abdul Aziz Kashif Arif Shoaib Junaid Saqib Raheel Adnan Zahid Sohail"
).split()
_SOUTH_ASIAN_MUSLIM_FEMALE = (
    "Aisha Ayesha Fatima Maryam Amina Sana Hina Zara Zainab Saima Nadia Samina Shabana Rubina Nasreen "
    "Yasmin Shazia Sadia Iqra Mariam Hafsa Khadija Noor Alisha Safiya Anam Rabia Uzma Farah Bushra Humaira"
).split()
_PAKISTANI_SURNAMES = (
    "Khan Hussain Ahmed Ali Akhtar Iqbal Shah Mahmood Rehman Butt Malik Mirza Qureshi Rashid Riaz Saleem "
    "Sharif Siddiqui Tariq Yousaf Zaman Anwar Aslam Bashir Chaudhry Hanif Javed Latif Nawaz Raza Bibi Begum"
).split()
_BANGLADESHI_SURNAMES = (
    "Miah Uddin Begum Rahman Islam Hoque Ali Ahmed Khatun Hussain Choudhury Alam Amin Haque Karim Sultana "
    "Akter Chowdhury Mahmud Hossain Bibi Ullah"
).split()
_ARAB_MALE = "Ahmed Omar Khalid Yusuf Mustafa Karim Samir Tarek Walid Hamza Ali Hassan Nabil Rami Fadi".split()
_ARAB_FEMALE = "Layla Nour Yasmin Mariam Huda Rania Salma Dina Leila Hana Amira Aya Lina Sara Rasha".split()
_ARAB_SURNAMES = "Al-Sayed Haddad Hassan Ibrahim Mansour Nasser Saleh Khalil Aziz Farouk Hamdan Darwish".split()
# accented forms that appear in English-speaking registers, so that the file's encoding matters
_ACCENTED_FEMALE = ["Chloé", "Zoë", "Renée", "Siobhán", "Aoife", "Niamh", "Anaïs", "Éabha"]
_ACCENTED_MALE = ["Seán", "José", "Ciarán", "Rónán", "Noël", "Dáithí"]

NICKNAMES: dict[str, list[str]] = {
    "Robert": ["Bob", "Rob", "Bobby"],
    "William": ["Bill", "Will", "Billy"],
    "James": ["Jim", "Jimmy", "Jamie"],
    "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Katherine": ["Kate", "Katie", "Kathy"],
    "Catherine": ["Cath", "Cathy", "Kate"],
    "Margaret": ["Maggie", "Meg", "Peggy"],
    "Michael": ["Mike", "Mick", "Mikey"],
    "Thomas": ["Tom", "Tommy"],
    "Christopher": ["Chris", "Kit"],
    "Anthony": ["Tony", "Ant"],
    "Daniel": ["Dan", "Danny"],
    "David": ["Dave", "Davey"],
    "Richard": ["Rich", "Ricky", "Dick"],
    "Joseph": ["Joe", "Joey"],
    "Samuel": ["Sam", "Sammy"],
    "Benjamin": ["Ben", "Benji"],
    "Alexander": ["Alex", "Xander"],
    "Jonathan": ["Jon", "Jonny"],
    "Matthew": ["Matt", "Matty"],
    "Andrew": ["Andy", "Drew"],
    "Nicholas": ["Nick", "Nicky"],
    "Edward": ["Ed", "Eddie", "Ted"],
    "Stephen": ["Steve", "Stevie"],
    "Steven": ["Steve", "Stevie"],
    "Peter": ["Pete"],
    "Rebecca": ["Becky", "Becca"],
    "Jessica": ["Jess", "Jessie"],
    "Samantha": ["Sam", "Sammy"],
    "Victoria": ["Vicky", "Tori"],
    "Jennifer": ["Jen", "Jenny"],
    "Abigail": ["Abbie", "Abby"],
    "Charlotte": ["Charlie", "Lottie"],
    "Natalie": ["Nat"],
    "Olivia": ["Liv", "Livvy"],
    "Alexandra": ["Alex", "Lexi"],
    "Christine": ["Chris", "Chrissie"],
    "Susan": ["Sue", "Suzy"],
    "Deborah": ["Debbie", "Deb"],
    "Amanda": ["Mandy"],
    "Gemma": ["Gem"],
    "Jacqueline": ["Jackie"],
    "Patricia": ["Pat", "Trish"],
    "Kimberley": ["Kim"],
    "Danielle": ["Dani"],
    "Mohammed": ["Muhammad", "Mohammad", "Mo"],
    "Muhammad": ["Mohammed", "Mohammad", "Mo"],
    "Mohammad": ["Mohammed", "Muhammad"],
    "Aisha": ["Ayesha", "Aysha"],
    "Ayesha": ["Aisha", "Aysha"],
    "Ibrahim": ["Ebrahim"],
    "Yusuf": ["Yousef", "Joseph"],
    "Maryam": ["Mariam"],
    "Mariam": ["Maryam"],
    "Zainab": ["Zaynab"],
    "Mateusz": ["Matt"],
    "Jakub": ["Kuba"],
    "Aleksandra": ["Ola"],
    "Katarzyna": ["Kasia"],
}

TRADITIONS = [
    "british",
    "irish",
    "east_european",
    "indian",
    "pakistani",
    "bangladeshi",
    "chinese",
    "african",
    "arab",
    "turkish",
]


def _provider(locale: str) -> type:
    return importlib.import_module(f"faker.providers.person.{locale}").Provider


def _names(locale: str, attribute: str) -> list[str]:
    values = getattr(_provider(locale), attribute)
    return list(values.keys()) if isinstance(values, dict) else list(values)


def _weighted(locale: str, attribute: str) -> tuple[list[str], list[float] | None]:
    values = getattr(_provider(locale), attribute)
    if isinstance(values, dict):
        return list(values.keys()), [float(v) for v in values.values()]
    return list(values), None


def _latin(names: list[str]) -> list[str]:
    """Drop names a UK register would not hold in this form (non-Latin scripts)."""
    return [name for name in names if name and all(ord(ch) < 0x250 or ch in "-' " for ch in name)]


def _raw_pools() -> dict[str, tuple[list[str], list[str], list[str]]]:
    """(male forenames, female forenames, surnames) per naming tradition."""
    gb_m, gb_f = _names("en_GB", "first_names_male"), _names("en_GB", "first_names_female")
    gb_s = _names("en_GB", "last_names")
    us_m, us_f = _names("en", "first_names_male")[:600], _names("en", "first_names_female")[:600]
    ie_s = _names("en_IE", "last_names")
    pl_s = _names("pl_PL", "male_last_names") + _names("pl_PL", "unisex_last_names")[:400]
    return {
        "british": (gb_m + us_m[:150] + _ACCENTED_MALE, gb_f + us_f[:150] + _ACCENTED_FEMALE, gb_s),
        "irish": (_names("en_IE", "first_names_male"), _names("en_IE", "first_names_female") + _ACCENTED_FEMALE, ie_s),
        "east_european": (
            _names("pl_PL", "first_names_male") + _names("ro_RO", "first_names_male")[:120],
            _names("pl_PL", "first_names_female") + _names("ro_RO", "first_names_female")[:120],
            pl_s + _names("ro_RO", "last_names") + _names("lt_LT", "last_names"),
        ),
        "indian": (
            _names("en_IN", "first_names_male"),
            _names("en_IN", "first_names_female"),
            _names("en_IN", "last_names"),
        ),
        "pakistani": (
            _SOUTH_ASIAN_MUSLIM_MALE,
            _SOUTH_ASIAN_MUSLIM_FEMALE,
            _PAKISTANI_SURNAMES + _latin(_names("en_PK", "last_names"))[:120],
        ),
        "bangladeshi": (_SOUTH_ASIAN_MUSLIM_MALE, _SOUTH_ASIAN_MUSLIM_FEMALE, _BANGLADESHI_SURNAMES),
        "chinese": (
            _names("zh_CN", "first_romanized_names"),
            _names("zh_CN", "first_romanized_names"),
            _names("zh_CN", "last_romanized_names"),
        ),
        "african": (
            _names("yo_NG", "first_names_male")
            + _names("tw_GH", "first_names_male")
            + _names("en_KE", "first_names_male")[:150],
            _names("yo_NG", "first_names_female")
            + _names("tw_GH", "first_names_female")
            + _names("en_KE", "first_names_female")[:150],
            _names("yo_NG", "last_names") + _names("tw_GH", "last_names") + _names("en_KE", "last_names")[:300],
        ),
        "arab": (_ARAB_MALE, _ARAB_FEMALE, _ARAB_SURNAMES),
        "turkish": (
            _latin(_names("tr_TR", "first_names_male"))[:300],
            _latin(_names("tr_TR", "first_names_female"))[:300],
            _latin(_names("tr_TR", "last_names")),
        ),
    }


@dataclass
class NamePools:
    """All names in flat arrays, with per-(tradition, sex) index pools and sampling weights.

    ``forenames`` and ``surnames`` are the global vocabularies; persons store indices into them.
    ``nicknames[i]`` holds up to three alternative forms of forename ``i`` ('' where none).
    """

    forenames: np.ndarray
    surnames: np.ndarray
    forename_pools: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    surname_pools: dict[str, tuple[np.ndarray, np.ndarray]]
    nicknames: np.ndarray
    nickname_count: np.ndarray

    def sample_forenames(self, rng: np.random.Generator, tradition: str, sex: str, n: int) -> np.ndarray:
        index, weights = self.forename_pools[(tradition, sex)]
        return index[rng.choice(len(index), size=n, p=weights)]

    def sample_surnames(self, rng: np.random.Generator, tradition: str, n: int) -> np.ndarray:
        index, weights = self.surname_pools[tradition]
        return index[rng.choice(len(index), size=n, p=weights)]


FORENAME_ZIPF = 0.5
"""Exponent of the forename weights. Why 0.5 and not the surnames' 0.9: with 0.9 the most common forename of a
~330-name pool was 12 % of a sex's births, and two unrelated children shared a forename 2.6 % of the time;
in England and Wales the top name is about 1.4 % (Noah, 4,525 boys in 2021; Olivia 3,649 girls: ONS, Baby
names in England and Wales: 2021) and the chance that two children share a forename is about 0.5 %. With 0.5
the top name of such a pool is about 3 % and the chance 0.5 %, so namesakes (same forename, surname and date
of birth, or same forename and surname at one home) are no longer several times commoner than in life."""


def _zipf(n: int, rng: np.random.Generator, exponent: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights[rng.permutation(n)] / weights.sum()


def build_name_pools(rng: np.random.Generator) -> NamePools:
    """Build the pools once per run; the seeded order of the Zipf weights varies common names by seed."""
    raw = _raw_pools()
    fore_vocab: dict[str, int] = {}
    sur_vocab: dict[str, int] = {}

    def index_of(vocab: dict[str, int], names: list[str]) -> np.ndarray:
        return np.array([vocab.setdefault(name, len(vocab)) for name in names], dtype=np.int64)

    fore_pools: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    sur_pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for tradition in TRADITIONS:
        male, female, surnames = raw[tradition]
        for sex, names in (("M", male), ("F", female)):
            unique = list(dict.fromkeys(names))
            fore_pools[(tradition, sex)] = (index_of(fore_vocab, unique), _zipf(len(unique), rng, FORENAME_ZIPF))
        if tradition == "british":
            names, weights = _weighted("en_GB", "last_names")
            total = np.asarray(weights, dtype=np.float64)
            sur_pools[tradition] = (index_of(sur_vocab, names), total / total.sum())
        else:
            unique = list(dict.fromkeys(surnames))
            sur_pools[tradition] = (index_of(sur_vocab, unique), _zipf(len(unique), rng))
    for formal, forms in NICKNAMES.items():
        index_of(fore_vocab, [formal, *forms])
    forenames = np.array(list(fore_vocab), dtype=np.dtypes.StringDType())
    nick = np.full((len(forenames), 3), "", dtype=object)
    count = np.zeros(len(forenames), dtype=np.int64)
    for formal, forms in NICKNAMES.items():
        position = fore_vocab[formal]
        nick[position, : len(forms[:3])] = forms[:3]
        count[position] = len(forms[:3])
    return NamePools(
        forenames=forenames,
        surnames=np.array(list(sur_vocab), dtype=np.dtypes.StringDType()),
        forename_pools=fore_pools,
        surname_pools=sur_pools,
        nicknames=nick.astype(np.dtypes.StringDType()),
        nickname_count=count,
    )
