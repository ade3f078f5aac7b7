"""The text indicators on a hand-written set of case-note sentences, and unit checks of the engine.

The set holds harm stated plainly and indirectly, and sentences that mention the same words without
asserting harm to the child: negations, hypotheticals, allegations found unfounded, third parties and
unrelated medical terms. Each sentence is labelled with the indicators it asserts ('' for none).
Precision and recall are measured per sentence (any indicator) and per indicator; both must be >= 0.95.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clearsight.flags.text import child_age, find_indicators

STI, PREG, MISS, FOUND = "sti_under_16", "pregnancy_under_16", "missing_with_adults", "found_with_unrelated_adults"
POLICE, INTEL, UNREG, DISC = "police_victim", "group_intel", "unregistered_placement_cse", "disclosure"

SENTENCES: list[tuple[str, str]] = [
    # harm stated plainly
    ("She tested positive for chlamydia at the sexual health clinic.", STI),
    ("Sexual health screen confirmed gonorrhoea.", STI),
    ("He has been treated for an STI twice this year.", STI),
    ("Diagnosed with genital warts in March.", STI),
    ("The GP confirmed she has syphilis.", STI),
    ("She was treated for a sexually transmitted infection last month.", STI),
    ("Clinic letter: trichomoniasis, treated.", STI),
    ("She is pregnant and will not say who the father is.", PREG),
    ("Pregnancy test positive at the school nurse.", PREG),
    ("She had a termination of pregnancy in January.", PREG),
    ("She had a miscarriage at 11 weeks.", PREG),
    ("She is 14 weeks pregnant.", PREG),
    ("She has been missing overnight and was with adult males.", MISS),
    ("Went missing on Friday and was seen getting into a car with two adult men.", MISS),
    ("She goes missing most weekends with older men.", MISS),
    ("Reported missing three times this month, each time with unknown adults.", MISS),
    ("She was found by police in a flat with three unrelated adult males.", FOUND),
    ("Returned by two adult males at 3am.", FOUND),
    ("Police located her at a hotel with an older man.", FOUND),
    ("He was found in a car with two older men at 2am.", FOUND),
    ("Police have recorded a sexual offence with her as the victim.", POLICE),
    ("Referred by police following a report of rape.", POLICE),
    ("She is the victim of a recorded sexual assault.", POLICE),
    ("Police intelligence names her alongside a group of men known to exploit children.", INTEL),
    ("She is named in intelligence about men at a local takeaway.", INTEL),
    ("Intelligence links him to a network of older males.", INTEL),
    ("She is placed in an unregistered children's home out of area.", UNREG),
    ("He lives in an unregistered flat arranged by the council.", UNREG),
    ("She disclosed to a teacher that she had been made to have sex with men.", DISC),
    ("She told her social worker an older man had sexually abused her.", DISC),
    ("She disclosed sexual abuse by her mother's partner.", DISC),
    ("She has been raped by a man she met online.", DISC),
    ("He was sexually assaulted at a party.", DISC),
    # harm stated indirectly
    ("She was given vodka and cannabis in exchange for sex.", DISC),
    ("She says she has been having sex with a 25-year-old man.", DISC),
    ("She was forced to have sex with his friends.", DISC),
    ("Sexual images of her were shared around the school.", DISC),
    ("She is being passed between men in the town.", DISC),
    ("She has been groomed by a man who buys her phone credit.", DISC),
    ("She was made to send naked pictures to an older man.", DISC),
    ("She is in a sexual relationship with a 30-year-old.", DISC),
    ("Mum reports that she was raped last weekend.", DISC),
    ("Her mother said she had been sexually abused by the lodger.", DISC),
    ("The school nurse confirmed the pregnancy; she is 13.", PREG),
    ("She was picked up by older men in cars outside school.", MISS),
    ("After going missing she was found with two men in a flat.", f"{FOUND};{MISS}"),
    ("She came home with chlamydia after going missing with adult men.", f"{STI};{MISS}"),
    ("She disclosed rape and is now pregnant.", f"{DISC};{PREG}"),
    ("Missing for two days with adult males; police later found her with them in a hotel.", f"{MISS};{FOUND}"),
    ("She was trafficked to another city by a group of men.", DISC),
    ("In May she disclosed that she had been raped.", DISC),
    ("She has been sexually exploited by older boys and men.", DISC),
    ("Although she denies it, she has been seen getting into cars with adult men after going missing.", MISS),
    ("She told her sister that she had been raped.", DISC),
    ("She was found with her friend in a flat with adult men.", FOUND),
    # negations
    ("STI screen negative.", ""),
    ("Sexual health check came back clear.", ""),
    ("Chlamydia test negative.", ""),
    ("Pregnancy test negative.", ""),
    ("She is not pregnant.", ""),
    ("She denies going missing.", ""),
    ("No missing episodes reported this period.", ""),
    ("She was not found with any adults.", ""),
    ("No police report has been made.", ""),
    ("No intelligence links her to any adults of concern.", ""),
    ("Her placement is with registered foster carers.", ""),
    ("She has made no disclosure.", ""),
    ("She denies any sexual contact.", ""),
    ("There is no evidence of sexual abuse.", ""),
    ("She has never been reported missing.", ""),
    ("No sign of a sexually transmitted infection.", ""),
    ("She denied being raped when asked directly.", ""),
    ("She has not been sexually abused, according to the medical.", ""),
    # hypotheticals
    ("If she is sexually active she should be offered an STI screen.", ""),
    ("Advice given about what to do if she becomes pregnant.", ""),
    ("If she goes missing again police should be informed immediately.", ""),
    ("Risk that she could go missing with older males.", ""),
    ("Carers told to call police if she is found with adults.", ""),
    ("Police may need to be involved if concerns grow.", ""),
    ("Concern that she could be targeted by groups of men in the town centre.", ""),
    ("Should the placement break down an unregistered setting may be the only option.", ""),
    ("She may disclose more once trust is built.", ""),
    ("She is at risk of sexual exploitation.", ""),
    ("She is vulnerable to being groomed by older men.", ""),
    ("Safety plan covers what to do if she is picked up by older men in cars.", ""),
    ("Worker to explore whether she has been sexually abused.", ""),
    ("She would be at risk of being raped if she returned to that address.", ""),
    ("Sexual health nurse to offer chlamydia testing.", ""),
    ("She was tested for chlamydia as a precaution.", ""),
    ("Advice on avoiding pregnancy was given.", ""),
    # historic allegations found unfounded
    ("A historic allegation that she was raped in 2019 was investigated and found to be unfounded.", ""),
    ("She alleged that a neighbour sexually assaulted her. This was found to be untrue.", ""),
    ("The earlier claim that she had been sexually abused was unsubstantiated.", ""),
    ("She retracted her account that she had been raped.", ""),
    # third parties
    ("Her friend was treated for chlamydia.", ""),
    ("Her sister is pregnant.", ""),
    ("Her older sister is pregnant at 15.", ""),
    ("Her friend goes missing regularly with adult males.", ""),
    ("A friend of hers was found with adult males last month.", ""),
    ("Her cousin is the victim in a police investigation.", ""),
    ("Her friend is named in police intelligence about a group of men.", ""),
    ("Her brother is in an unregistered placement.", ""),
    ("Her friend disclosed abuse at school.", ""),
    ("Mother is pregnant with her fourth child.", ""),
    ("His mum was raped as a teenager.", ""),
    ("She told staff that her sister had been raped.", ""),
    ("Another girl at the home disclosed sexual abuse.", ""),
    ("Her best friend has been sexually exploited by older men.", ""),
    ("Her sister's pregnancy has caused tension at home.", ""),
    ("Her stepfather has syphilis.", ""),
    # unrelated medical and everyday terms
    ("She tested positive for Covid and missed a week of school.", ""),
    ("Treated for a urinary tract infection.", ""),
    ("She has a chest infection and asthma.", ""),
    ("Ear infection treated by the GP.", ""),
    ("She had a cold sore and tonsillitis.", ""),
    ("Her mother is pregnant and due in June.", ""),
    ("She missed three dental appointments.", ""),
    ("She went missing from lessons to smoke with friends.", ""),
    ("She was found asleep at a friend's house by her mum.", ""),
    ("Police attended a noise complaint at the address.", ""),
    ("She attended the sexual health clinic for contraception advice.", ""),
    ("She was returned home by her aunt after a row.", ""),
    ("She is doing well in her registered foster placement.", ""),
    ("She talks about wanting to be a police officer.", ""),
    ("Attended a group session about healthy relationships.", ""),
    ("School report: attendance 92 per cent, no concerns.", ""),
    ("She is 15 and lives with her grandmother.", ""),
    ("Her missing bike was found by police.", ""),
    ("She has eczema and a peanut allergy.", ""),
    ("Intelligence briefing attended by the social worker.", ""),
    # written after the engine and first scored unseen (sentence-level precision 0.89, recall 0.84 then);
    # kept here, fixes made, so that they guard against regressions
    ("Sexual health clinic diagnosed chlamydia; she is 14.", "sti_under_16"),
    ("She has gonorrhea and says her boyfriend is 22.", "sti_under_16;disclosure"),
    ("She contracted herpes from an adult male.", "sti_under_16"),
    ("She is expecting a baby in the summer and is 14.", "pregnancy_under_16"),
    ("She gave birth in hospital in October, aged 15.", "pregnancy_under_16"),
    ("She went missing from her placement with men in their thirties.", "missing_with_adults"),
    ("Missing from care overnight; believed to be with adults in another town.", "missing_with_adults"),
    ("Police recovered her from a house with five adult men.", "found_with_unrelated_adults"),
    ("She was dropped back at the home by an unknown adult male.", "found_with_unrelated_adults"),
    ("She is the victim in a reported rape being investigated by police.", "police_victim"),
    ("She has been abused by a group of men who give her drugs.", "disclosure"),
    ("She was repeatedly raped at a house in the town.", "disclosure"),
    ("She told her teacher she was forced to have sex with her uncle's friends.", "disclosure"),
    ("She is being sexually exploited by men at the takeaway.", "disclosure"),
    ("Naked photos of her were circulated on social media.", "disclosure"),
    ("She disclosed that a taxi driver touched her sexually.", "disclosure"),
    ("She had sex with several older men at a party.", "disclosure"),
    ("She was coerced to perform sexual acts on older boys.", "disclosure"),
    ("She is living in an unregistered provision in another county.", "unregistered_placement_cse"),
    ("Intelligence identifies her as associating with a group of men who exploit girls.", "group_intel"),
    ("Her STI results were negative.", ""),
    ("She was not pregnant when tested.", ""),
    ("She said she has never been with any adult men.", ""),
    ("There is no indication she has been sexually exploited.", ""),
    ("Police found no evidence that she was with adults.", ""),
    ("If she were to become pregnant she would need support.", ""),
    ("Risk of being sexually exploited if she continues to go missing.", ""),
    ("Staff should contact police if she is returned by unknown adults.", ""),
    ("Her friend's older sister is pregnant.", ""),
    ("Her brother was found with adult men in a car.", ""),
    ("Her sister was raped in 2021.", ""),
    ("A girl in her class is pregnant.", ""),
    ("Her father was convicted of rape before she was born.", ""),
    ("The allegation of sexual assault was withdrawn and police took no further action; it was unfounded.", ""),
    ("She had a kidney infection and was admitted to hospital.", ""),
    ("Tested positive for flu.", ""),
    ("She went missing for an hour and was found at the park alone.", ""),
    ("Mum is expecting twins.", ""),
    ("She watched a programme about grooming in PSHE.", ""),
    ("Police gave a talk at school about online safety.", ""),
    # a second unseen batch (20 sentences): first scored precision 1.00 (7 of 7), recall 0.38 (5 of 13)
    ("She has been sleeping with older men for money.", DISC),
    ("She is staying overnight at the flat of a 35-year-old man.", ""),
    ("She is a victim of CSE.", DISC),
    ("She is at risk of CSE.", ""),
    ("She was sexually assaulted by a taxi driver.", DISC),
    ("She was assaulted by a girl at school.", ""),
    ("Chlamydia positive.", STI),
    ("Chlamydia screen offered and declined.", ""),
    ("She is 13 and 20 weeks pregnant.", PREG),
    ("Her boyfriend is 16.", ""),
    ("Police recorded her as a victim of rape in March.", f"{POLICE};{DISC}"),
    ("She does not want to discuss the rape.", DISC),
    ("The rape was reported to police in June.", f"{POLICE};{DISC}"),
    ("No concerns about sexual exploitation were identified.", ""),
    ("She was returned to her placement by police.", ""),
    ("Foster carer reports she was dropped home by two men in their 20s at 4am.", FOUND),
    ("She was found in a hotel room with an adult male.", FOUND),
    ("She was not raped but was touched.", ""),
    ("Previous referral for sexual abuse in 2018 was closed as unsubstantiated.", ""),
    ("She has been abused by men she met through a friend.", DISC),
    # a third unseen batch (20 sentences): first scored precision 0.86 (6 of 7), recall 0.60 (6 of 10)
    ("She was seen leaving a takeaway with three men late at night and came back with new clothes.", ""),
    ("A GUM clinic confirmed she has gonorrhoea; she is 14.", STI),
    ("She has had two terminations in the last year.", PREG),
    ("She admitted she had been having sex with a man in his forties.", DISC),
    ("She revealed that men at the house made her do sexual things.", DISC),
    ("Officers recovered her from a car with two adult males at a lay-by.", FOUND),
    ("Her account of being raped is consistent with the medical findings.", DISC),
    ("She has been reported missing 11 times and is believed to stay with older men.", MISS),
    ("She says she was touched inappropriately by her stepfather.", DISC),
    ("Police are investigating a rape in which she is the victim.", POLICE),
    ("Intelligence suggests she is being trafficked between towns by a group of men.", f"{INTEL};{DISC}"),
    ("No STI or pregnancy concerns.", ""),
    ("She is not known to have gone missing with adults.", ""),
    ("She fears she might be pregnant but has not done a test.", ""),
    ("She was warned about the dangers of older men offering lifts.", ""),
    ("Her cousin went missing with adults last year.", ""),
    ("She attended an STI clinic for a routine check; all results negative.", ""),
    ("Grandmother had a miscarriage in the 1990s.", ""),
    ("Mum says she is worried she is being groomed online.", ""),
    ("Her twin brother was sexually abused at his previous school.", ""),
]


def _expected(label: str) -> set[str]:
    return set(filter(None, label.split(";")))


def _scores() -> dict[str, tuple[float, float]]:
    sentence = {"tp": 0, "fp": 0, "fn": 0}
    indicator = {"tp": 0, "fp": 0, "fn": 0}
    for text, label in SENTENCES:
        found = {hit.indicator for hit in find_indicators(text)}
        expected = _expected(label)
        key = ("tp" if expected else "fp") if found else ("fn" if expected else None)
        if key:
            sentence[key] += 1
        indicator["tp"] += len(found & expected)
        indicator["fp"] += len(found - expected)
        indicator["fn"] += len(expected - found)

    def pr(c: dict[str, int]) -> tuple[float, float]:
        return c["tp"] / (c["tp"] + c["fp"]), c["tp"] / (c["tp"] + c["fn"])

    return {"sentence": pr(sentence), "indicator": pr(indicator)}


def test_the_sentence_set_is_big_and_varied() -> None:
    assert len(SENTENCES) >= 100
    assert len({text for text, _ in SENTENCES}) == len(SENTENCES)
    harmful = sum(bool(label) for _, label in SENTENCES)
    assert 40 <= harmful <= len(SENTENCES) - 40


def test_precision_and_recall_on_the_sentence_set_are_at_least_095() -> None:
    scores = _scores()
    print(f"sentence-level precision/recall {scores['sentence']}, indicator-level {scores['indicator']}")
    for level, (precision, recall) in scores.items():
        assert precision >= 0.95, (level, precision)
        assert recall >= 0.95, (level, recall)


@pytest.mark.parametrize(("text", "label"), SENTENCES)
def test_each_sentence(text: str, label: str) -> None:
    """Not a gate (the gate is the 0.95 above): a failing sentence here names exactly what is missed."""
    found = {hit.indicator for hit in find_indicators(text)}
    if found != _expected(label):
        pytest.xfail(f"found {sorted(found)}, expected {sorted(_expected(label))}")


def test_spans_point_at_the_words_that_triggered() -> None:
    text = "Referral received about a 13-year-old girl. Her friend was treated for chlamydia. She is pregnant."
    hits = find_indicators(text)
    assert [hit.indicator for hit in hits] == [PREG]
    assert text[hits[0].start : hits[0].end] == hits[0].quote == "pregnant"


def test_age_limits_the_under_16_rules() -> None:
    assert find_indicators("She tested positive for chlamydia.", age=17) == []
    assert [h.indicator for h in find_indicators("She tested positive for chlamydia.", age=12)] == [STI]
    assert find_indicators("A 17-year-old girl. She tested positive for chlamydia.") == []
    assert child_age("Concerns raised about girl, aged 12.") == 12
    assert child_age("No age here.") is None
    assert child_age("She is in a relationship with a 25-year-old man.") is None
    assert child_age("She is 14 weeks pregnant.") is None
    assert [h.indicator for h in find_indicators("A 25-year-old man got her pregnant.")] == [PREG]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6))
def test_a_note_asserts_the_union_of_what_its_sentences_assert(picked: list[tuple[str, str]]) -> None:
    """Oracle: the engine on a whole note equals the engine on each sentence apart, merged.

    Context must not leak between sentences (a negation or a third party in one sentence does not
    withdraw a harm stated in the next), nor may a hit's span drift off its words.
    """
    note = " ".join(text for text, _ in picked)
    ages = {child_age(text) for text, _ in picked} - {None}
    assume(not ages or max(ages) < 16)  # a stated age of 16+ rightly silences the under-16 rules note-wide
    whole = find_indicators(note)
    apart = [{hit.indicator for hit in find_indicators(text)} for text, _ in picked]
    assert {hit.indicator for hit in whole} == set().union(*apart)
    for hit in whole:
        assert note[hit.start : hit.end] == hit.quote
