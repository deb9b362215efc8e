"""Where a client stands with each waiver (signed / outdated / missing), and which waivers a
booking or a purchase still needs (WAI-2, WAI-5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from tests.factories import ClientFactory, FamilyLinkFactory
from waivers.models import WaiverVersion
from waivers.selectors.status import MISSING, OUTDATED, SIGNED, signature_states, waivers_missing
from waivers.tests.factories import req_publish, req_require, req_sign, req_waiver

pytestmark = pytest.mark.django_db


def _states(client, waivers):
    with scope(studio=client.studio):
        return signature_states(client=client, waivers=waivers)


def test_missing_then_signed(studio, a_client, other_studio):
    with scope(studio=studio):
        waiver = req_waiver(studio)
        assert _states(a_client, [waiver])[waiver.pk].state == MISSING
        signature = req_sign(waiver, a_client)
        state = _states(a_client, [waiver])[waiver.pk]
    assert state.state == SIGNED and state.signed and state.signature == signature


def test_new_version_without_resign_keeps_the_signature(studio, a_client):
    with scope(studio=studio):
        waiver = req_waiver(studio)
        old = req_sign(waiver, a_client)
        req_publish(waiver, resign_required=False)
        state = _states(a_client, [waiver])[waiver.pk]
    assert state.state == SIGNED and state.signature == old


def test_new_version_with_resign_makes_it_outdated_until_signed_again(studio, a_client):
    with scope(studio=studio):
        waiver = req_waiver(studio)
        old = req_sign(waiver, a_client)
        req_publish(waiver, resign_required=True)
        state = _states(a_client, [waiver])[waiver.pk]
        assert state.state == OUTDATED and state.signature == old
        # A later version without re-sign does not make the old signature good again.
        req_publish(waiver, resign_required=False)
        assert _states(a_client, [waiver])[waiver.pk].state == OUTDATED
        new = req_sign(waiver, a_client)
        state = _states(a_client, [waiver])[waiver.pk]
    assert state.state == SIGNED and state.signature == new


def test_a_signature_between_two_resign_versions_is_outdated_by_the_later(studio, a_client):
    with scope(studio=studio):
        waiver = req_waiver(studio)
        req_publish(waiver, resign_required=True)  # v2
        req_sign(waiver, a_client)  # on v2
        req_publish(waiver, resign_required=False)  # v3: v2's signature still good
        assert _states(a_client, [waiver])[waiver.pk].state == SIGNED
        req_publish(waiver, resign_required=True)  # v4 asks again
        assert _states(a_client, [waiver])[waiver.pk].state == OUTDATED


def test_a_draft_asking_to_resign_changes_nothing(studio, a_client):
    with scope(studio=studio):
        waiver = req_waiver(studio)
        req_sign(waiver, a_client)
        WaiverVersion.objects.create(
            studio=studio, waiver=waiver, number=2, body_en="<p>draft</p>", resign_required=True
        )
        assert _states(a_client, [waiver])[waiver.pk].state == SIGNED


def test_someone_elses_signature_does_not_count(studio, a_client, location):
    other_client = ClientFactory(studio=studio, home_location=location)
    with scope(studio=studio):
        waiver = req_waiver(studio)
        req_sign(waiver, other_client)
        assert _states(a_client, [waiver])[waiver.pk].state == MISSING


@pytest.mark.parametrize("count", [1, 200])
def test_states_read_a_fixed_number_of_queries(studio, a_client, count):
    with scope(studio=studio):
        waivers = [req_waiver(studio, name=f"W{i}") for i in range(count)]
        for i, waiver in enumerate(waivers):
            req_sign(waiver, a_client)
            if i % 2:
                req_publish(waiver, resign_required=True)
                req_sign(waiver, a_client)
            if i % 3 == 0:
                req_publish(waiver, resign_required=True)
        with CaptureQueriesContext(connection) as queries:
            states = signature_states(client=a_client, waivers=waivers)
            # Reading the signature's version (the number shown) costs nothing more.
            numbers = [s.signature.version.number for s in states.values()]
    assert len(queries) == 2
    assert len(states) == count and len(numbers) == count
    assert states[waivers[0].pk].state == OUTDATED  # signed v1, v2 asks again


def test_no_waivers_no_query(studio, a_client, django_assert_num_queries):
    with scope(studio=studio), django_assert_num_queries(0):
        assert signature_states(client=a_client, waivers=[]) == {}


# --- waivers_missing ------------------------------------------------------------------------


def _missing(studio, client, **kwargs):
    with scope(studio=studio):
        return waivers_missing(studio=studio, client=client, **kwargs)


def test_membership_waivers_for_purchases(studio, a_client):
    with scope(studio=studio):
        everywhere = req_waiver(studio, kind="membership", name="All purchases")
        req_require(everywhere)
        for_plan = req_waiver(studio, kind="membership", name="Plan 7")
        req_require(for_plan, "plan", 7)
    assert _missing(studio, a_client, purchase=True) == [everywhere]
    assert _missing(studio, a_client, purchase=True, plan_ids=[7]) == [everywhere, for_plan]
    assert _missing(studio, a_client, purchase=True, plan_ids=[8]) == [everywhere]
    # A booking does not ask for membership waivers.
    assert _missing(studio, a_client, booking=True, class_template_ids=[7]) == []
    with scope(studio=studio):
        req_sign(everywhere, a_client)
    assert _missing(studio, a_client, purchase=True, plan_ids=[7]) == [for_plan]


def test_client_waivers_for_bookings(studio, a_client):
    with scope(studio=studio):
        for_class = req_waiver(studio, kind="client", name="Aerial")
        req_require(for_class, "class_template", 3)
        for_service = req_waiver(studio, kind="client", name="Massage")
        req_require(for_service, "service", 3)
    assert _missing(studio, a_client, booking=True, class_template_ids=[3]) == [for_class]
    assert _missing(studio, a_client, booking=True, service_ids=[3]) == [for_service]
    assert _missing(studio, a_client, booking=True, class_template_ids=[4]) == []
    # A purchase does not ask for client waivers.
    assert _missing(studio, a_client, purchase=True, plan_ids=[3]) == []


def test_unpublished_archived_and_custom_waivers_are_never_required(studio, a_client):
    from django.utils import timezone

    from waivers.models import Waiver

    with scope(studio=studio):
        draft_only = Waiver.objects.create(studio=studio, kind="client", name="Draft")
        req_require(draft_only)
        archived = req_waiver(studio, kind="client", name="Old")
        req_require(archived)
        Waiver.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
        custom = req_waiver(studio, kind="custom", name="Photo release")
        req_require(custom)
    assert _missing(studio, a_client, booking=True, purchase=True) == []


def test_outdated_is_missing_and_plain_new_version_is_not(studio, a_client):
    with scope(studio=studio):
        waiver = req_waiver(studio, kind="client")
        req_require(waiver)
        req_sign(waiver, a_client)
        req_publish(waiver, resign_required=False)
    assert _missing(studio, a_client, booking=True) == []
    with scope(studio=studio):
        req_publish(waiver, resign_required=True)
    assert _missing(studio, a_client, booking=True) == [waiver]


def test_dependants_need_the_child_waiver_instead_of_the_client_waiver(studio, a_client, location):
    kid = ClientFactory(studio=studio, first_name="Ben", home_location=location)
    FamilyLinkFactory(studio=studio, guardian=a_client, dependant=kid)
    with scope(studio=studio):
        adult = req_waiver(studio, kind="client", name="Adults")
        req_require(adult)
        child = req_waiver(studio, kind="child", name="Children")
        req_require(child)
    assert _missing(studio, a_client, booking=True) == [adult]
    # The guardian books for the child (signer), or staff book the child (guardian link).
    assert _missing(studio, kid, signer=a_client, booking=True) == [child]
    assert _missing(studio, kid, booking=True) == [child]
    with scope(studio=studio):
        req_sign(child, kid, signer=a_client)
    assert _missing(studio, kid, signer=a_client, booking=True) == []


def test_missing_reads_a_fixed_number_of_queries(studio, a_client, django_assert_max_num_queries):
    with scope(studio=studio):
        for i in range(30):
            waiver = req_waiver(studio, kind="client", name=f"W{i}")
            req_require(waiver)
            req_require(waiver, "class_template", 1)
        with django_assert_max_num_queries(4):
            missing = waivers_missing(studio=studio, client=a_client, booking=True, class_template_ids=[1])
    assert len(missing) == 30


def test_another_studios_client_is_refused(studio, other_studio):
    from django_scopes import scopes_disabled

    from studio.models import Client

    with scopes_disabled():
        stranger = Client.objects.get(studio=other_studio)
    with scope(studio=studio), pytest.raises(ValueError):
        waivers_missing(studio=studio, client=stranger, booking=True)
