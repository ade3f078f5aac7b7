"""Harm, not risk: children recorded 'at risk' despite evidence that harm had already happened.

IICSA found children with sexually transmitted infections, or going missing with adults, described as
'at risk' of CSE rather than as victims. ``run`` applies the versioned rules (``rules/v1.yaml``: SQL over
the warehouse and patterns over free text) to every current referral and writes ``harm_flag``;
``flags_file`` does the same for a standalone CSV of referrals; ``flag_counts`` gives the report its
aggregates; ``record_decision`` keeps a person's confirm / reject / unsure, append-only.
"""

from __future__ import annotations

from clearsight.flags.aggregate import flag_counts
from clearsight.flags.file import flags_file
from clearsight.flags.pipeline import FlagSummary, referral_indicators, run
from clearsight.flags.rules import load_rules
from clearsight.flags.store import Decision, current_decisions, record_decision, withdraw_decision
from clearsight.flags.text import find_indicators

__all__ = [
    "Decision",
    "FlagSummary",
    "current_decisions",
    "find_indicators",
    "flag_counts",
    "flags_file",
    "load_rules",
    "record_decision",
    "referral_indicators",
    "run",
    "withdraw_decision",
]
