"""A transparent pattern engine for harm indicators in case-note free text.

Why plain regular expressions and not a model: every decision must be explainable to the safeguarding
lead who confirms or rejects a flag, and nothing may be downloaded at run time. A trigger pattern (from
the rule set's ``text_rules``) proposes a harm; the context around it can withdraw it:

- negation before the trigger, NegEx-style, within a few words and not across "and"/"but" ("she denies
  going missing", "no evidence of"), or a negative result after it ("chlamydia test negative");
- a hypothetical anywhere earlier in the clause ("if she goes missing again", "at risk of", "could");
- an allegation found unfounded, in the same sentence or in the next one ("This was found to be untrue");
- a third party as the clause's subject ("her sister is pregnant", "a friend of hers was found with").

Every kept match carries its character span in the original text, so the evidence can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from clearsight.flags.rules import RuleSet, TextRule, load_rules

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_CLAUSE_BREAK = re.compile(r"[;:]|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b|\bthough\b|\bwhile\b", re.I)
_SCOPE_BREAK = re.compile(r"[;:,]|\band\b|\bbut\b|\bwhich\b|\bwho\b|\bafter\b|\bbefore\b|\bwhen\b", re.I)
_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|never|nor|none|denies|denied|deny|denying|without|absence of|free of|ruled out|"
    r"negative for|unable to confirm|no evidence|no sign|no indication)\b|n't\b",
    re.I,
)
_NEGATION_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:negative|came back clear|was clear|were clear|ruled out|not confirmed|"
    r"was not|were not|denied|excluded)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|should|could|would|might|unless|whether|in case|at risk of|risk of|risk that|risks of|"
    r"vulnerable to|likely to|in future|in the future|potential(?:ly)?|possible|possibly|to prevent|"
    r"prevention|advice|advised|what to do|safety plan|worried that|fear(?:s|ed)? that|concerns? that|"
    r"to avoid|how to|would be|worried|concerned|fears?|suspects?|suspicion)\b",
    re.I,
)
_MAY = re.compile(r"\bmay\b")  # lower case only: "in May" is a month
_UNFOUNDED = re.compile(
    r"\b(?:unfounded|unsubstantiated|not substantiated|not upheld|no evidence to support|"
    r"found to be (?:false|untrue|malicious|unfounded)|false allegation|retracted|recanted|"
    r"withdrew the allegation|allegation was withdrawn|no case to answer|proved (?:false|untrue))\b",
    re.I,
)
# "This was found to be untrue." points back; "The allegation of assault was withdrawn" names its own subject.
_REFERS_BACK = re.compile(
    r"^\W*(?:this|that|it|these|the (?:allegation|claim|report|concern)s?)\b(?!\s+(?:of|about)\b)", re.I
)
_RELATIVE = (
    r"(?:friends?|sisters?|brothers?|siblings?|cousins?|mother|mum|father|dad|step-?(?:father|mother|dad|mum)|"
    r"aunt|uncle|classmates?|peers?|nieces?|nephews?|parents?|grand(?:mother|father|ma|pa)|gran|nan|"
    r"neighbours?|boyfriend's (?:sister|brother)|half-(?:sister|brother))"
)
_THIRD_PARTY = re.compile(
    rf"(?:\b(?:her|his|their|the child's|the young person's|a|an|one of (?:her|his|their))\s+"
    rf"(?:(?:older|younger|elder|little|big|best|close|school|twin|half|step|own)\s+)*{_RELATIVE}\b"
    rf"(?:\s*\([^)]*\))?|\ba friend of (?:hers|his|theirs)\b|"
    rf"\b(?:another|a|one) (?:child|girl|boy|young person|pupil|resident)\b|"
    rf"^\W*{_RELATIVE}\b)",
    re.I,
)
# what may stand before a third party for it to be the clause's subject
_SUBJECT_SLOT = re.compile(r"(?:^|\bthat|\band|,|\bsaid|\bsays|\breports?|\breported|\bbelieves?)\W*$", re.I)
_CHILD_SUBJECT = re.compile(r"\b(?:she|he|they|the child|the young person|yp)\b", re.I)
# the child's own age only: "a 30-year-old man" is someone else's
_AGE = re.compile(
    r"\b(\d{1,2})[- ]years?[- ]old (?:girl|boy|child|young person|female|male|young woman|young man|pupil)\b|"
    r"\baged (\d{1,2})\b|\b(?:she|he) is (\d{1,2})\b(?! ?(?:weeks|months|days))",
    re.I,
)


@dataclass(frozen=True)
class TextHit:
    """One harm indicator found in text: where, by which rule, and (for the access-controlled table) what."""

    indicator: str
    rule_id: str
    start: int
    end: int
    quote: str


def child_age(text: str | None) -> int | None:
    """The child's age as the summary states it first ("a 14-year-old girl", "aged 14"), if it does."""
    if not text:
        return None
    found = _AGE.search(text)
    if not found:
        return None
    return int(next(group for group in found.groups() if group))


@cache
def _prefilter(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    """A rule's patterns in one: most texts match none, and are then skipped without splitting."""
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    for found in _SENTENCE.finditer(text):
        if found.group().strip():
            yield found.start(), found.group()


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the clause holding a match: from the last break before it to the first after it."""
    lo = 0
    for brk in _CLAUSE_BREAK.finditer(sentence, 0, start):
        lo = brk.end()
    after = _CLAUSE_BREAK.search(sentence, end)
    return lo, after.start() if after else len(sentence)


def _negated_before(prefix: str) -> bool:
    """NegEx: a negation cue within six words before the trigger, not across a scope break."""
    scope = prefix
    for brk in _SCOPE_BREAK.finditer(prefix):
        scope = prefix[brk.end() :]
    words = scope.split()[-6:]
    return bool(_NEGATION_BEFORE.search(" ".join(words)))


def _third_party(prefix: str) -> bool:
    """Whether the latest subject before the trigger is someone other than the child."""
    last_party = -1
    for found in _THIRD_PARTY.finditer(prefix):
        if _SUBJECT_SLOT.search(prefix[: found.start()]):
            last_party = found.end()
    if last_party < 0:
        return False
    return not _CHILD_SUBJECT.search(prefix[last_party:])


def _possessed_by_third_party(prefix: str) -> bool:
    """'her sister's pregnancy': a relative's possessive right before the trigger."""
    return bool(re.search(rf"\b{_RELATIVE}(?:'s|’s|s')\s+(?:\w+\s+)?$", prefix, re.I))


def _kept(rule: TextRule, sentence: str, start: int, end: int, next_sentence: str) -> bool:
    lo, hi = _clause(sentence, start, end)
    prefix, suffix = sentence[lo:start], sentence[end:hi]
    if rule.not_after is not None and rule.not_after.search(prefix):
        return False
    inside = sentence[start:end]
    if _negated_before(prefix) or _NEGATION_AFTER.search(suffix) or _NEGATION_BEFORE.search(inside):
        return False
    if _HYPOTHETICAL.search(prefix) or _MAY.search(prefix):
        return False
    if _UNFOUNDED.search(sentence) or (_REFERS_BACK.search(next_sentence) and _UNFOUNDED.search(next_sentence)):
        return False
    # the subject may sit inside the match too: "told staff that her sister had been raped"
    return not (_third_party(sentence[lo:end]) or _possessed_by_third_party(prefix))


def find_indicators(text: str | None, age: int | None = None, rules: RuleSet | None = None) -> list[TextHit]:
    """Harm indicators asserted about the child in ``text``, one hit per indicator (its first span).

    ``age`` is the child's age in years when known from a structured field; otherwise the summary's own
    statement of age is used. Rules limited to an age (STI, pregnancy under 16) do not fire when the
    child is known to be that age or older, and do fire when the age is unknown (a person then checks).
    """
    if not text:
        return []
    rules = rules or load_rules()
    candidates = [rule for rule in rules.text_rules if _prefilter(rule.patterns).search(text)]
    if not candidates:
        return []
    age = age if age is not None else child_age(text)
    sentences = list(_sentences(text))
    hits: dict[str, TextHit] = {}
    for index, (offset, sentence) in enumerate(sentences):
        following = sentences[index + 1][1] if index + 1 < len(sentences) else ""
        for rule in candidates:
            if rule.indicator in hits:
                continue
            if rule.under_age is not None and age is not None and age >= rule.under_age:
                continue
            if not _prefilter(rule.patterns).search(sentence):
                continue
            for pattern in rule.patterns:
                found = next(
                    (m for m in pattern.finditer(sentence) if _kept(rule, sentence, m.start(), m.end(), following)),
                    None,
                )
                if found:
                    start, end = offset + found.start(), offset + found.end()
                    hits[rule.indicator] = TextHit(rule.indicator, rule.id, start, end, text[start:end])
                    break
    order = {name: i for i, name in enumerate(rules.indicators)}
    return sorted(hits.values(), key=lambda hit: order.get(hit.indicator, len(order)))


def has_harm(text: str | None, age: int | None = None) -> bool:
    """Whether the text asserts at least one harm indicator about the child."""
    return bool(find_indicators(text, age))
