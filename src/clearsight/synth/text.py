"""Templated free-text summaries of referrals, written to test the harm-not-risk text indicators.

A summary states some of the harm signals that are really present ("tested positive for chlamydia",
"returned by two adult males") and, for signals that are absent, sometimes mentions them anyway: negated
("STI screen negative"), hypothetical ("if she goes missing again") or about someone else ("her sister is
pregnant"). A text engine that fires on keywords alone will be wrong on exactly these; ``harm.csv`` says
what is true. Assembly is vectorised: one template table, indices drawn per referral and indicator.
"""

from __future__ import annotations

import numpy as np

from clearsight.synth.population import STRING

INDICATORS = [
    "sti_under_16",
    "pregnancy_under_16",
    "missing_with_adults",
    "found_with_unrelated_adults",
    "police_victim",
    "group_intel",
    "unregistered_placement_cse",
    "disclosure",
]
# state 1 = stated, 2 = negated, 3 = hypothetical, 4 = about a third party
_TEMPLATES: dict[str, dict[int, list[str]]] = {
    "sti_under_16": {
        1: [
            "{She} tested positive for chlamydia at the sexual health clinic.",
            "Sexual health screen confirmed gonorrhoea.",
            "{She} has been treated for an STI twice this year.",
        ],
        2: ["STI screen negative.", "Sexual health check came back clear."],
        3: ["If {she} is sexually active {she} should be offered an STI screen."],
        4: ["{Her} friend was treated for chlamydia."],
    },
    "pregnancy_under_16": {
        1: ["{She} is pregnant and will not say who the father is.", "Pregnancy test positive at the school nurse."],
        2: ["Pregnancy test negative."],
        3: ["Advice given about what to do if {she} becomes pregnant."],
        4: ["{Her} sister is pregnant.", "{Her} older sister is pregnant at 15."],
    },
    "missing_with_adults": {
        1: [
            "{She} has been missing overnight and was with adult males.",
            "Went missing on Friday and was seen getting into a car with two adult men.",
        ],
        2: ["{She} denies going missing.", "No missing episodes reported this period."],
        3: [
            "If {she} goes missing again police should be informed immediately.",
            "Risk that {she} could go missing with older males.",
        ],
        4: ["{Her} friend goes missing regularly with adult males."],
    },
    "found_with_unrelated_adults": {
        1: [
            "{She} was found by police in a flat with three unrelated adult males.",
            "Returned by two adult males at 3am.",
            "Police located {her} at a hotel with an older man.",
        ],
        2: ["{She} was not found with any adults."],
        3: ["Carers told to call police if {she} is found with adults."],
        4: ["A friend of {hers} was found with adult males last month."],
    },
    "police_victim": {
        1: [
            "Police have recorded a sexual offence with {her} as the victim.",
            "Referred by police following a report of rape.",
        ],
        2: ["No police report has been made."],
        3: ["Police may need to be involved if concerns grow."],
        4: ["{Her} cousin is the victim in a police investigation."],
    },
    "group_intel": {
        1: [
            "Police intelligence names {her} alongside a group of men known to exploit children.",
            "{She} is named in intelligence about men at a local takeaway.",
        ],
        2: ["No intelligence links {her} to any adults of concern."],
        3: ["Concern that {she} could be targeted by groups of men in the town centre."],
        4: ["{Her} friend is named in police intelligence about a group of men."],
    },
    "unregistered_placement_cse": {
        1: ["{She} is placed in an unregistered children's home out of area and has been picked up by adults there."],
        2: ["{Her} placement is with registered foster carers."],
        3: ["Should the placement break down an unregistered setting may be the only option."],
        4: ["{Her} brother is in an unregistered placement."],
    },
    "disclosure": {
        1: [
            "{She} disclosed to a teacher that {she} had been made to have sex with men.",
            "{She} told {her} social worker an older man had sexually abused {her}.",
        ],
        2: ["{She} has made no disclosure.", "{She} denies any sexual contact."],
        3: ["{She} may disclose more once trust is built."],
        4: ["{Her} friend disclosed abuse at school."],
    },
}
_OPENINGS = [
    "Referral received about a {age}-year-old {child}.",
    "{Age}-year-old {child} known to services.",
    "Concerns raised about {child}, aged {age}.",
]
_CLOSINGS = ["Assessment completed.", "Strategy meeting held.", "Plan agreed with family.", ""]
VARIANTS = 3


def _pronouns(text: str, female: bool) -> str:
    pairs = (
        ("{She}", "She" if female else "He"),
        ("{she}", "she" if female else "he"),
        ("{Her}", "Her" if female else "His"),
        ("{hers}", "hers" if female else "his"),
        ("{her}", "her" if female else "him"),
    )
    for token, word in pairs:
        text = text.replace(token, word)
    return text


def _table(female: bool) -> np.ndarray:
    """(indicator x state x variant) array of fragments; state 0 is the empty string."""
    table = np.full((len(INDICATORS), 5, VARIANTS), "", dtype=object)
    for i, name in enumerate(INDICATORS):
        for state, options in _TEMPLATES[name].items():
            for v in range(VARIANTS):
                table[i, state, v] = _pronouns(options[v % len(options)], female)
    return table.astype(STRING)


def summaries(rng: np.random.Generator, present: np.ndarray, female: np.ndarray, age: np.ndarray) -> np.ndarray:
    """One summary per row; ``present`` is (rows x INDICATORS) booleans of true signals."""
    n = len(female)
    draw = rng.random(present.shape)
    state = np.where(
        present, np.where(draw < 0.7, 1, 0), np.select([draw < 0.12, draw < 0.2, draw < 0.26], [2, 3, 4], 0)
    )
    variant = rng.integers(0, VARIANTS, size=present.shape)
    tables = (_table(False), _table(True))
    opening = np.array(_OPENINGS, dtype=STRING)[rng.integers(0, len(_OPENINGS), size=n)]
    child = np.where(female, "girl", "boy").astype(STRING)
    age_text = np.asarray(age, dtype=np.int64).astype(str).astype(STRING)
    text = np.strings.replace(np.strings.replace(opening, "{child}", child), "{age}", age_text)
    text = np.strings.replace(text, "{Age}", age_text)
    for i in range(len(INDICATORS)):
        fragment = np.where(female, tables[1][i, state[:, i], variant[:, i]], tables[0][i, state[:, i], variant[:, i]])
        text = np.where(state[:, i] > 0, np.strings.add(np.strings.add(text, " "), fragment), text)
    closing = np.array(_CLOSINGS, dtype=STRING)[rng.integers(0, len(_CLOSINGS), size=n)]
    return np.strings.strip(np.strings.add(np.strings.add(text, " "), closing))
