"""Objects for the cross-cutting isolation and permission matrices (tests/isolation.py)."""

from __future__ import annotations

CASES: dict = {}

# plans (H1)


def _plan(studio):
    from memberships.tests.factories import PlanFactory

    return {"pk": PlanFactory(studio=studio).pk}


CASES["plan-edit"] = _plan
CASES["plan-archive"] = _plan

# selling and a client's memberships (H2)


def _sell_client(studio):
    from tests.factories import ClientFactory

    return {"pk": ClientFactory(studio=studio).pk}


def _membership(studio):
    from memberships.tests.factories import MembershipFactory
    from tests.factories import ClientFactory

    return {"pk": MembershipFactory(client=ClientFactory(studio=studio)).pk}


CASES["client-membership-sell"] = _sell_client
CASES["membership-detail"] = _membership

# lifecycle (H6)


def _lifecycle_membership(studio, **state):
    """An active monthly membership of a new client of `studio`, in the state the page needs."""
    import datetime as dt

    from memberships.tests.factories import MembershipFactory, PlanFactory
    from tests.factories import ClientFactory

    membership = MembershipFactory(client=ClientFactory(studio=studio))
    if state.pop("paused", False):
        state.update(
            paused_from=membership.current_period_end - dt.timedelta(days=3),
            paused_until=membership.current_period_end,
        )
    if state.pop("next_plan", False):
        state["next_plan"] = PlanFactory(studio=studio)
    if state:
        from django_scopes import scopes_disabled

        with scopes_disabled():
            for name, value in state.items():
                setattr(membership, name, value)
            membership.save()
    return {"pk": membership.pk}


CASES["membership-pause"] = _lifecycle_membership
CASES["membership-cancel"] = _lifecycle_membership
CASES["membership-change-plan"] = _lifecycle_membership
CASES["membership-resume"] = lambda studio: _lifecycle_membership(studio, paused=True)
CASES["membership-cancel-undo"] = lambda studio: _lifecycle_membership(studio, cancel_at_period_end=True)
CASES["membership-change-plan-cancel"] = lambda studio: _lifecycle_membership(studio, next_plan=True)

# renewals page (H7)


def _renewal(studio):
    from memberships.tests.factories import MembershipFactory
    from memberships.tests.renewal_rows import renewal_for
    from tests.factories import ClientFactory

    return {"pk": renewal_for(MembershipFactory(client=ClientFactory(studio=studio))).pk}


CASES["renewal-retry"] = _renewal


# account pages (H4)


def _client_renewal(studio):
    """A failed renewal of one of `studio`'s clients (the hosted fix / confirm pages take its id)."""
    import datetime as dt

    from django_scopes import scopes_disabled

    from memberships.models import Renewal, RenewalStatus
    from memberships.tests.factories import MembershipFactory
    from tests.factories import ClientFactory

    membership = MembershipFactory(client=ClientFactory(studio=studio))
    with scopes_disabled():
        renewal = Renewal.objects.create(
            studio=studio,
            membership=membership,
            period_start=membership.next_renewal_on or dt.date(2027, 1, 1),
            amount=membership.price_amount,
            currency=membership.currency,
            status=RenewalStatus.RETRYING,
            attempts=1,
            failure_code="authentication_required",
            idempotency_key=f"renewal:{membership.pk}:iso",
        )
    return {"pk": renewal.pk}


for _name in (
    "account-membership-renewal",
    "account-membership-renewal-pay",
    "account-membership-renewal-confirm",
    "account-membership-renewal-confirmed",
):
    CASES[_name] = _client_renewal


# policy (prule)


def _penalty_rule(studio):
    from memberships.tests.factories import PenaltyRuleFactory

    return {"pk": PenaltyRuleFactory(studio=studio).pk}


CASES["penalty-rule-edit"] = _penalty_rule
CASES["penalty-rule-archive"] = _penalty_rule


# penalties (pcharge)


def _penalty(studio):
    from memberships.tests.penalty_helpers import failed_penalty
    from tests.factories import ClientFactory

    return {"pk": failed_penalty(ClientFactory(studio=studio)).pk}


CASES["penalty-detail"] = _penalty
CASES["penalty-waive"] = _penalty
CASES["penalty-retry"] = _penalty
