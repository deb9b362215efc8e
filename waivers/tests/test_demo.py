"""Waivers' demo data (issue 13): the four kinds, a second version that asked to re-sign,
signatures made every way, an unused link, requirements that block nobody the other demos
book — and seeding twice adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from payments import gateway
from scheduling.models import BookedBy, ClassSession
from scheduling.services import BookingError, booking_create
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.models import Client, Studio
from studio.services import SYSTEM
from waivers.models import SignMethod, Waiver, WaiverLink, WaiverRequirement, WaiverSignature, WaiverVersion
from waivers.selectors.status import MISSING, OUTDATED, SIGNED, signature_states, waivers_missing

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(
        m.objects.count() for m in (Waiver, WaiverVersion, WaiverSignature, WaiverLink, WaiverRequirement)
    )


def test_demo_waivers_are_complete_and_seeding_twice_adds_nothing():
    with gateway.use_http_client(SandboxHTTPClient(Sandbox(seed=5))):
        call_command("seed_demo")
        with scopes_disabled():
            first = _counts()
        call_command("seed_demo")
    with scopes_disabled():
        assert _counts() == first
        demo = Studio.objects.get(slug="demo")
        other = Studio.objects.get(slug="autre")
    with scope(studio=demo):
        waivers = {w.name: w for w in Waiver.objects.filter(studio=demo).select_related("current_version")}
        assert {w.kind for w in waivers.values()} == {"client", "child", "membership", "custom"}
        assert all(w.current_version and w.current_version.published_at for w in waivers.values())
        client_waiver = waivers["Décharge client"]
        assert client_waiver.current_version.number == 2 and client_waiver.current_version.resign_required
        signatures = WaiverSignature.objects.filter(studio=demo)
        assert set(signatures.values_list("method", flat=True)) == set(SignMethod.values)
        drawn = signatures.filter(method=SignMethod.DRAWN).first()
        assert bytes(drawn.signature_png).startswith(b"\x89PNG") and drawn.witnessed_by is not None
        child = signatures.get(waiver__kind="child", client__first_name="Emma")
        assert child.signer.first_name == "Julie" and child.method == SignMethod.LINK_DRAWN
        assert WaiverLink.objects.filter(studio=demo, used_at__isnull=True).count() == 1
        camille = Client.objects.get(studio=demo, email="client@demo.atelier.test")
        marc = Client.objects.get(studio=demo, email="marc.roy@example.test")
        states = signature_states(client=camille, waivers=waivers.values())
        assert states[client_waiver.pk].state == SIGNED
        assert states[waivers["Décharge d'abonnement"].pk].state == SIGNED
        assert signature_states(client=marc, waivers=[client_waiver])[client_waiver.pk].state == OUTDATED
        assert (
            signature_states(client=marc, waivers=[waivers["Décharge enfant"]])[
                waivers["Décharge enfant"].pk
            ].state
            == MISSING
        )
        # The membership waiver is required for the winter pass (set by memberships' demo).
        from memberships.models import Plan

        winter = Plan.objects.get(studio=demo, name="Passe hiver")
        assert waivers_missing(studio=demo, client=marc, plan_ids=[winter.pk], purchase=True) == [
            waivers["Décharge d'abonnement"]
        ]
        assert waivers_missing(studio=demo, client=camille, plan_ids=[winter.pk], purchase=True) == []
        # Camille books the dance class (she signed v2); Marc is asked to sign again.
        dance = (
            ClassSession.objects.filter(
                studio=demo, template__name="Danse contemporaine", starts_at__gt=dt.datetime.now(dt.UTC)
            )
            .order_by("starts_at")
            .exclude(bookings__client__in=[camille, marc])
            .first()
        )
        assert dance is not None
        booking_create(
            studio=demo,
            actor=SYSTEM,
            session=dance,
            client=camille,
            booked_by=BookedBy.CLIENT,
            booker=camille,
        )
        with pytest.raises(BookingError):
            booking_create(
                studio=demo, actor=SYSTEM, session=dance, client=marc, booked_by=BookedBy.CLIENT, booker=marc
            )
    with scope(studio=other):
        assert Waiver.objects.filter(studio=other).count() == 1
        assert WaiverSignature.objects.filter(studio=other).count() == 1
