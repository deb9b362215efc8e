"""Penalty rule semantics (POL-3): does a rule fire on one late cancel or no-show? Pure: no queries.

The selectors (memberships/selectors/policy.py) turn scheduling's rows into `Occurrence`s; this
module only counts them, so charging, the preview and the tests all use one definition.

How a rule counts, for one event of one client:

- The event must be of the rule's trigger (late cancel or no-show) and, unless the rule covers
  everyone, belong to a membership of one of the rule's plans. Occurrences are counted under the
  same two conditions.
- Occurrences are ordered by (occurred_at, event kind, event id); those after the event do not
  count, the event itself does. One booking (one event kind + id) counts once, whatever its
  history says: a late cancel that later shows up as a no-show of the same booking is one
  occurrence, of the trigger the event being judged has.
- The window is the last `window_length` days, weeks or calendar months before the event, on the
  wall clock of the occurrence's zone (the selectors give studio-local times): an occurrence at
  18:00 on 10 March is inside a one-month window of an event at 18:00 on 10 April. **The
  boundary is included**: an occurrence exactly one window before the event still counts
  (a weekly class's no-show last Tuesday counts towards "2 in the last week" this Tuesday).
  Calendar months use the project's month arithmetic (`memberships.periods.add_interval`):
  31 January + 1 month is 28/29 February.
- `renewal_period`: the window is the membership period the event falls in
  (period_start ≤ date < period_end, studio dates); it resets at each renewal. An event with no
  membership period (a drop-in) never fires such a rule: it has no period to count in.
- "every" N fires at the N-th, 2N-th, 3N-th…; "at least" N at the N-th and each one after it;
  "exactly" N at the N-th only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from memberships.periods import add_interval

TRIGGERS = ("late_cancel", "no_show")
FREQUENCIES = ("every", "at_least", "exactly")
WINDOW_UNITS = ("days", "weeks", "months", "renewal_period")
_INTERVAL_UNIT = {"days": "day", "weeks": "week", "months": "month"}


@dataclass(frozen=True)
class RuleTerms:
    """What a penalty rule says, detached from the database (a rule being written, unsaved)."""

    trigger: str
    all_plans: bool
    plan_ids: frozenset[int]
    frequency: str
    count: int
    window_unit: str
    window_length: int
    fee_amount: int
    currency: str

    @classmethod
    def of(cls, rule, plan_ids: Iterable[int] = ()) -> RuleTerms:
        """The terms of a `PenaltyRule` (saved or not); `plan_ids` are its plans' ids."""
        return cls(
            trigger=rule.trigger,
            all_plans=bool(rule.all_plans),
            plan_ids=frozenset() if rule.all_plans else frozenset(int(p) for p in plan_ids),
            frequency=rule.frequency,
            count=int(rule.count),
            window_unit=rule.window_unit,
            window_length=int(rule.window_length or 0),
            fee_amount=int(rule.fee_amount or 0),
            currency=rule.currency,
        )


@dataclass(frozen=True)
class Occurrence:
    """One late cancel or no-show of one client: a class booking or an appointment.

    `occurred_at` is the class's (appointment's) start, aware; `membership_id`/`plan_id` the
    membership the event belongs to (None for a drop-in), `period_start`..`period_end`
    (exclusive) that membership's period containing the event, if any.
    """

    client_id: int
    trigger: str
    event_kind: str
    event_id: int
    occurred_at: dt.datetime
    membership_id: int | None = None
    plan_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.event_kind, self.event_id)

    @property
    def order(self) -> tuple[dt.datetime, str, int]:
        return (self.occurred_at, self.event_kind, self.event_id)


def _plans_match(rule: RuleTerms, occurrence: Occurrence) -> bool:
    return rule.all_plans or (occurrence.plan_id is not None and occurrence.plan_id in rule.plan_ids)


def _in_window(rule: RuleTerms, occurrence: Occurrence, event: Occurrence) -> bool:
    """Whether `occurrence` (not after `event`) falls in the rule's window ending at `event`."""
    if rule.window_unit == "renewal_period":
        day = occurrence.occurred_at.date()
        return event.period_start <= day and (event.period_end is None or day < event.period_end)
    unit = _INTERVAL_UNIT[rule.window_unit]
    at = occurrence.occurred_at
    # Move the occurrence forward by the window (forward month arithmetic is the project's own):
    # it is inside while that reaches the event or beyond — the boundary instant included.
    shifted_day = add_interval(at.date(), unit=unit, count=rule.window_length)
    shifted = at.replace(year=shifted_day.year, month=shifted_day.month, day=shifted_day.day)
    return shifted >= event.occurred_at


def occurrence_count(*, rule: RuleTerms, event: Occurrence, history: Sequence[Occurrence]) -> int:
    """How many of the client's occurrences the rule counts at `event` (the event included), or
    0 when the event itself is not one the rule looks at."""
    if event.trigger != rule.trigger or not _plans_match(rule, event):
        return 0
    if rule.window_unit == "renewal_period" and event.period_start is None:
        return 0
    if rule.window_unit != "renewal_period" and rule.window_length < 1:
        return 0
    # One booking counts once: the event replaces any earlier state of the same booking.
    by_key: dict[tuple[str, int], Occurrence] = {}
    for occurrence in history:
        if occurrence.client_id == event.client_id and occurrence.key != event.key:
            by_key[occurrence.key] = occurrence
    by_key[event.key] = event
    return sum(
        1
        for occurrence in by_key.values()
        if occurrence.trigger == rule.trigger
        and occurrence.order <= event.order
        and _plans_match(rule, occurrence)
        and _in_window(rule, occurrence, event)
    )


def count_fires(*, frequency: str, count: int, n: int) -> bool:
    """Whether the `n`-th counted occurrence fires a rule of `frequency` `count`."""
    if n < 1 or count < 1:
        return False
    if frequency == "every":
        return n % count == 0
    if frequency == "at_least":
        return n >= count
    if frequency == "exactly":
        return n == count
    return False


def rule_fires(*, rule: RuleTerms, event: Occurrence, history: Sequence[Occurrence]) -> bool:
    """Whether `rule` charges its fee for `event`, given the client's other occurrences
    (`history` may hold other clients' and later ones too, and the event itself: they are
    ignored as the module's docstring says)."""
    n = occurrence_count(rule=rule, event=event, history=history)
    return count_fires(frequency=rule.frequency, count=rule.count, n=n)
