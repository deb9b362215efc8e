"""A penalty rule in words, in the reader's language (POL-3): the sentence staff read back while
writing a rule, and the help beside each option.

Each sentence is one whole translatable template per trigger and frequency (French agrees the
ordinal and « chacune » with the noun), with the fee, the ordinal and the window filled in; the
window is itself a whole phrase per unit and number («les 2 derniers mois», «la dernière
semaine»). Nothing is glued together in English word order.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import get_language, npgettext, pgettext
from django.utils.translation import gettext_lazy as _

from memberships.policy_engine import RuleTerms
from studio.money import format_money

FEMININE = "f"
MASCULINE = "m"


def _french() -> bool:
    return (get_language() or "en").lower().startswith("fr")


def ordinal(n: int, *, gender: str | None = None) -> str:
    """1 → "1st", 2 → "2nd", 11 → "11th", 21 → "21st" in English; « 1er » (« 1re » feminine),
    « 2e », « 3e »… in French (OQLF)."""
    if _french():
        if n == 1:
            return "1re" if gender == FEMININE else "1er"
        return f"{n}e"
    # 11th, 12th, 13th (and 111th…) break the 1st/2nd/3rd pattern.
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def window_phrase(*, unit: str, length: int) -> str:
    """ "within the last 30 days", "within the last month", "within the current renewal period"."""
    if unit == "renewal_period":
        return pgettext("penalty window", "within the current renewal period")
    if unit == "days":
        text = npgettext("penalty window", "within the last day", "within the last %(count)s days", length)
    elif unit == "weeks":
        text = npgettext("penalty window", "within the last week", "within the last %(count)s weeks", length)
    else:
        text = npgettext(
            "penalty window", "within the last month", "within the last %(count)s months", length
        )
    return text % {"count": length}


def _template(trigger: str, frequency: str, count: int) -> str:
    every_one = frequency in ("every", "at_least") and count == 1
    if trigger == "late_cancel":
        if every_one:
            return pgettext("penalty rule", "A %(fee)s fee is charged at every late cancel %(window)s")
        if frequency == "every":
            return pgettext(
                "penalty rule", "A %(fee)s fee is charged at every %(nth)s late cancel %(window)s"
            )
        if frequency == "at_least":
            return pgettext(
                "penalty rule",
                "A %(fee)s fee is charged at the %(nth)s late cancel and every one after it %(window)s",
            )
        return pgettext(
            "penalty rule", "A %(fee)s fee is charged at exactly the %(nth)s late cancel %(window)s"
        )
    if every_one:
        return pgettext("penalty rule", "A %(fee)s fee is charged at every no-show %(window)s")
    if frequency == "every":
        return pgettext("penalty rule", "A %(fee)s fee is charged at every %(nth)s no-show %(window)s")
    if frequency == "at_least":
        return pgettext(
            "penalty rule",
            "A %(fee)s fee is charged at the %(nth)s no-show and every one after it %(window)s",
        )
    return pgettext("penalty rule", "A %(fee)s fee is charged at exactly the %(nth)s no-show %(window)s")


def rule_sentence(
    *, terms: RuleTerms, plan_names: Sequence[str] | None = None, currency: str | None = None
) -> str:
    """The rule as one sentence in the active language: "A $10.00 fee is charged at every 2nd
    no-show within the current renewal period". With `plan_names` (a rule limited to plans),
    the plans follow it; `currency` overrides the terms' own (the contract's older signature)."""
    # "Every 1st no-show" is every no-show (seed 001's tip): the template says so plainly.
    count = max(int(terms.count or 1), 1)
    sentence = _template(terms.trigger, terms.frequency, count) % {
        "fee": format_money(
            int(terms.fee_amount or 0), currency or terms.currency or "CAD", language=get_language() or "en"
        ),
        # Both French nouns (« absence », « annulation tardive ») are feminine: « 1re ».
        "nth": ordinal(count, gender=FEMININE),
        "window": window_phrase(unit=terms.window_unit, length=max(int(terms.window_length or 1), 1)),
    }
    if not terms.all_plans and plan_names:
        sentence = pgettext("penalty rule", "%(sentence)s — plans: %(plans)s") % {
            "sentence": sentence,
            "plans": ", ".join(plan_names),
        }
    return sentence


# The help beside each option of the rule form (seed 001's hover help, in our words).
OPTION_HELP = {
    "trigger": _(
        "What the fee is for: a late cancel (cancelled inside the late-cancel window) or a no-show "
        "(booked, but not checked in by the end of the class)."
    ),
    "plans": _(
        "Everyone, drop-ins included, or only clients whose late cancel or no-show was on a "
        "membership of the plans you tick."
    ),
    "every": _(
        "Every: the fee is charged at the N-th time, then again at twice N, three times N… "
        "Every 1 means each time."
    ),
    "at_least": _("At least: nothing before the N-th time, then the fee each time from the N-th time on."),
    "exactly": _("Exactly: the fee is charged once, at the N-th time only; later ones are free."),
    "count": _(
        "How many times it takes. Choosing 2 rather than 1 often makes the rule clearer: "
        "“every 2nd no-show” instead of “every no-show”."
    ),
    "window": _(
        "How far back to count: the last so many days, weeks or months before the class, the "
        "class itself included."
    ),
    "renewal_period": _(
        "Count only within the membership period the class falls in: on a monthly membership "
        "the count starts again at each renewal. Clients without a membership are not charged "
        "by such a rule."
    ),
    "fee": _("The amount charged to the client's saved card after the grace delay."),
}
