"""Memberships: plans (what a studio sells), a client's memberships, their periods, renewals and
the credits bookings use.

Dates of a membership's periods are calendar dates in the studio's zone (a period runs from
`starts_on` to the day before `ends_on`: `ends_on` is the next renewal date); times are UTC.
"""

from .cancel_credit import CancelCreditGrant
from .memberships import (
    CreditUse,
    Membership,
    MembershipPeriod,
    MembershipStatus,
)
from .plans import (
    IntervalUnit,
    PassStart,
    Plan,
    PlanClassTemplate,
    PlanKind,
    PlanLocation,
    PlanService,
)
from .policy import (
    CreditReturn,
    EventKind,
    Penalty,
    PenaltyFrequency,
    PenaltyRule,
    PenaltyRulePlan,
    PenaltyStatus,
    PenaltyTrigger,
    PenaltyWindow,
    PolicySettings,
    RulesMatch,
)
from .reminders import MembershipReminder
from .renewals import AfterLastRetry, MembershipSettings, PastDueBookings, Proration, Renewal, RenewalStatus

__all__ = [
    "AfterLastRetry",
    "CancelCreditGrant",
    "CreditReturn",
    "CreditUse",
    "EventKind",
    "IntervalUnit",
    "Membership",
    "MembershipPeriod",
    "MembershipReminder",
    "MembershipSettings",
    "MembershipStatus",
    "PassStart",
    "PastDueBookings",
    "Penalty",
    "PenaltyFrequency",
    "PenaltyRule",
    "PenaltyRulePlan",
    "PenaltyStatus",
    "PenaltyTrigger",
    "PenaltyWindow",
    "Plan",
    "PlanClassTemplate",
    "PlanKind",
    "PlanLocation",
    "PlanService",
    "PolicySettings",
    "Proration",
    "Renewal",
    "RenewalStatus",
    "RulesMatch",
]
