"""Plans in words, in the reader's language (codes and numbers are stored; sentences are made here).

"every month", "every 2 weeks" / « tous les mois », « toutes les 2 semaines »: each unit has its
own sentence, since French agrees the quantifier with the unit's gender.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memberships.models import IntervalUnit, PassStart, Plan, PlanKind
from studio.formats import date_format


def interval_phrase(*, unit: str, count: int) -> str:
    """How often: "every month", "every 2 weeks"."""
    if unit == IntervalUnit.DAY:
        text = ngettext("every day", "every %(count)s days", count)
    elif unit == IntervalUnit.WEEK:
        text = ngettext("every week", "every %(count)s weeks", count)
    elif unit == IntervalUnit.YEAR:
        text = ngettext("every year", "every %(count)s years", count)
    else:
        text = ngettext("every month", "every %(count)s months", count)
    return text % {"count": count}


def duration_phrase(*, unit: str, count: int) -> str:
    """How long: "30 days", "1 month"."""
    if unit == IntervalUnit.DAY:
        text = ngettext("%(count)s day", "%(count)s days", count)
    elif unit == IntervalUnit.WEEK:
        text = ngettext("%(count)s week", "%(count)s weeks", count)
    elif unit == IntervalUnit.YEAR:
        text = ngettext("%(count)s year", "%(count)s years", count)
    else:
        text = ngettext("%(count)s month", "%(count)s months", count)
    return text % {"count": count}


def credits_phrase(credits: int | None) -> str:
    """ "8 credits" or "Unlimited"."""
    if credits is None:
        return _("Unlimited")
    return ngettext("%(count)s credit", "%(count)s credits", credits) % {"count": credits}


def plan_terms(plan: Plan) -> str:
    """The plan's period rule in one phrase, for lists and the sale page."""
    if plan.kind == PlanKind.SUBSCRIPTION:
        return _("Renews %(interval)s") % {
            "interval": interval_phrase(unit=plan.interval_unit, count=plan.interval_count)
        }
    if plan.kind == PlanKind.PAYMENT_PLAN:
        count = plan.instalment_count or 0
        return ngettext(
            "%(count)s instalment, %(interval)s", "%(count)s instalments, %(interval)s", count
        ) % {"count": count, "interval": interval_phrase(unit=plan.interval_unit, count=plan.interval_count)}
    if plan.kind == PlanKind.PACK:
        days = plan.pack_expires_after_days
        if not days:
            return _("Never expires")
        return ngettext(
            "Expires %(count)s day after purchase", "Expires %(count)s days after purchase", days
        ) % {"count": days}
    # A pass: fixed dates, or a duration from the purchase or the first class.
    if plan.pass_starts_on and plan.pass_ends_on:
        return _("Valid from %(start)s to %(end)s") % {
            "start": date_format(plan.pass_starts_on, "DATE_FORMAT"),
            "end": date_format(plan.pass_ends_on, "DATE_FORMAT"),
        }
    duration = duration_phrase(unit=plan.interval_unit, count=plan.interval_count)
    if plan.pass_start == PassStart.FIRST_USE:
        return _("Lasts %(duration)s from the first class") % {"duration": duration}
    return _("Lasts %(duration)s from the purchase") % {"duration": duration}
