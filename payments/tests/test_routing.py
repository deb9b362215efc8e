"""Routing (PAY-3): a table of every rule and fallback, a property test against an independent
oracle, the database-backed service, and the “Where would this payment go?” page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.models import ConnectedAccount, ConnectedAccountLocation
from payments.models.settings import Channel, ItemKind
from payments.services.routing import Purchase, Rule, route_payment, route_with
from studio.models import Client, Location
from studio.permissions import RoleKind
from tests.factories import ClientFactory, LocationFactory

# --- in-memory world for the table (no database) -----------------------------------------------

PLATEAU = Location(pk=1, name="Plateau", is_home_location=True)
LAVAL = Location(pk=2, name="Laval", is_home_location=True)
VERDUN = Location(pk=3, name="Verdun", is_home_location=True)  # home location without an account
PARK = Location(pk=4, name="Parc Jarry", is_home_location=False)  # classes happen there; nobody belongs to it


def _account(pk, name, *, ready=True, stripe=True):
    return ConnectedAccount(
        pk=pk, display_name=name, stripe_account_id=f"acct_{pk}" if stripe else "", charges_enabled=ready
    )


MAIN = _account(10, "Main")
LAVAL_ACCT = _account(11, "Laval Inc.")
PLATEAU_ACCT = _account(12, "Plateau Inc.")
NOT_READY = _account(13, "Pending Inc.", ready=False)
NO_STRIPE = _account(14, "Never created", stripe=False)

ONLINE, POS = Channel.ONLINE, Channel.POS
K = ItemKind

WORLD = {PLATEAU.pk: PLATEAU_ACCT, LAVAL.pk: LAVAL_ACCT}

TABLE = [
    # id, purchase, by_location, default, expected account, expected rule, words in the reason
    (
        "pos-location",
        Purchase(POS, K.PRODUCT, pos_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.POS_LOCATION,
        ["Laval"],
    ),
    (
        "pos-ignores-item-and-home",
        Purchase(POS, K.MEMBERSHIP, item_location=PLATEAU, client_home_location=PLATEAU, pos_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.POS_LOCATION,
        ["Laval"],
    ),
    (
        "pos-sale-tender",  # a POS tender (issue 14) is routed by rule 1 like any POS charge
        Purchase(POS, K.POS_SALE, client_home_location=PLATEAU, pos_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.POS_LOCATION,
        ["Laval"],
    ),
    (
        "pos-without-location",
        Purchase(POS, K.PRODUCT, client_home_location=LAVAL),
        WORLD,
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Main"],
    ),
    (
        "pos-location-without-account",
        Purchase(POS, K.PRODUCT, pos_location=VERDUN),
        WORLD,
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Main"],
    ),
    (
        "pos-location-account-not-ready",
        Purchase(POS, K.CLASS_BOOKING, pos_location=LAVAL),
        {LAVAL.pk: NOT_READY},
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Main", "Pending Inc.", "cannot take payments"],
    ),
    (
        "online-class-at-home-location",
        Purchase(ONLINE, K.CLASS_BOOKING, item_location=PLATEAU, client_home_location=LAVAL),
        WORLD,
        MAIN,
        PLATEAU_ACCT,
        Rule.ITEM_LOCATION,
        ["Plateau"],
    ),
    (
        "online-instalment",
        Purchase(ONLINE, K.PAYMENT_PLAN, item_location=PLATEAU, client_home_location=LAVAL),
        WORLD,
        MAIN,
        PLATEAU_ACCT,
        Rule.ITEM_LOCATION,
        ["Plateau"],
    ),
    (
        "online-appointment",
        Purchase(ONLINE, K.APPOINTMENT, item_location=LAVAL, client_home_location=PLATEAU),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.ITEM_LOCATION,
        ["Laval"],
    ),
    (
        "online-product",
        Purchase(ONLINE, K.PRODUCT, item_location=LAVAL, client_home_location=PLATEAU),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.ITEM_LOCATION,
        ["Laval"],
    ),
    (
        "online-class-item-location-no-account",
        Purchase(ONLINE, K.CLASS_BOOKING, item_location=VERDUN, client_home_location=LAVAL),
        WORLD,
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Main"],
    ),
    (
        "online-class-item-account-not-ready-goes-default-not-home",
        Purchase(ONLINE, K.CLASS_BOOKING, item_location=PLATEAU, client_home_location=LAVAL),
        {PLATEAU.pk: NOT_READY, LAVAL.pk: LAVAL_ACCT},
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Pending Inc."],
    ),
    (
        "online-class-at-non-home-location-uses-client-home",
        Purchase(ONLINE, K.CLASS_BOOKING, item_location=PARK, client_home_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.CLIENT_HOME,
        ["Laval", "home location"],
    ),
    (
        "online-class-without-location-uses-client-home",
        Purchase(ONLINE, K.CLASS_BOOKING, client_home_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.CLIENT_HOME,
        ["Laval"],
    ),
    (
        "online-membership",
        Purchase(ONLINE, K.MEMBERSHIP, item_location=PLATEAU, client_home_location=LAVAL),
        WORLD,
        MAIN,
        LAVAL_ACCT,
        Rule.CLIENT_HOME,
        ["Laval", "home location"],
    ),
    (
        "online-renewal",
        Purchase(ONLINE, K.RENEWAL, client_home_location=PLATEAU),
        WORLD,
        MAIN,
        PLATEAU_ACCT,
        Rule.CLIENT_HOME,
        ["Plateau"],
    ),
    (
        # A late-cancel or no-show fee: the client's home location, even when the class was elsewhere
        # (POL-4 charges "the account PAY-3 chooses for the membership": its home location).
        "penalty-fee-home-location",
        Purchase(ONLINE, K.PENALTY, item_location=LAVAL, client_home_location=PLATEAU),
        WORLD,
        MAIN,
        PLATEAU_ACCT,
        Rule.CLIENT_HOME,
        ["Plateau"],
    ),
    (
        "online-other",
        Purchase(ONLINE, K.OTHER, item_location=LAVAL, client_home_location=PLATEAU),
        WORLD,
        MAIN,
        PLATEAU_ACCT,
        Rule.CLIENT_HOME,
        ["Plateau"],
    ),
    (
        "membership-client-without-home",
        Purchase(ONLINE, K.MEMBERSHIP),
        WORLD,
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Main"],
    ),
    (
        "membership-home-without-account",
        Purchase(ONLINE, K.MEMBERSHIP, client_home_location=VERDUN),
        WORLD,
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["default"],
    ),
    (
        "home-account-never-created",
        Purchase(ONLINE, K.MEMBERSHIP, client_home_location=LAVAL),
        {LAVAL.pk: NO_STRIPE},
        MAIN,
        MAIN,
        Rule.DEFAULT,
        ["Never created"],
    ),
    (
        "no-account-at-all",
        Purchase(ONLINE, K.MEMBERSHIP, client_home_location=LAVAL),
        {},
        None,
        None,
        Rule.ESCROW,
        ["escrow"],
    ),
    ("default-not-ready", Purchase(ONLINE, K.MEMBERSHIP), {}, NOT_READY, None, Rule.ESCROW, ["escrow"]),
    (
        "nothing-ready",
        Purchase(POS, K.PRODUCT, pos_location=LAVAL),
        {LAVAL.pk: NOT_READY},
        NOT_READY,
        None,
        Rule.ESCROW,
        ["escrow"],
    ),
    (
        "default-is-also-the-location-account",
        Purchase(ONLINE, K.MEMBERSHIP, client_home_location=LAVAL),
        {LAVAL.pk: MAIN},
        MAIN,
        MAIN,
        Rule.CLIENT_HOME,
        ["Laval"],
    ),
]


@pytest.mark.parametrize(
    ("purchase", "by_location", "default", "account", "rule", "words"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_routing_table(purchase, by_location, default, account, rule, words):
    route = route_with(purchase=purchase, by_location=by_location, default=default)
    assert route.account is account
    assert route.rule == rule
    assert route.is_escrow == (account is None)
    with translation.override("en"):  # the reason is worded when read, in the reader's language
        for word in words:
            assert word.lower() in route.reason.lower(), (word, route.reason)


def test_every_rule_and_kind_is_in_the_table():
    rules = {row[5] for row in TABLE}
    assert rules == {Rule.POS_LOCATION, Rule.ITEM_LOCATION, Rule.CLIENT_HOME, Rule.DEFAULT, Rule.ESCROW}
    kinds = {row[1].item_kind for row in TABLE}
    assert kinds == set(ItemKind.values)


# --- property test against an independent oracle ------------------------------------------------

# Written from SPEC PAY-3's words, not from the service's constants.
_KINDS_BOUND_TO_A_PLACE = {"class_booking", "payment_plan", "appointment", "product"}


def _oracle(purchase: Purchase, by_location: dict, default):
    """PAY-3 in plain code: (account or None, rule name)."""
    if purchase.channel == "pos":
        place, rule = purchase.pos_location, "pos_location"
    elif (
        purchase.item_kind in _KINDS_BOUND_TO_A_PLACE
        and purchase.item_location is not None
        and purchase.item_location.is_home_location
    ):
        place, rule = purchase.item_location, "item_location"
    else:
        place, rule = purchase.client_home_location, "client_home_location"

    def ready(account):
        return account is not None and account.stripe_account_id != "" and account.charges_enabled

    if place is not None and ready(by_location.get(place.pk)):
        return by_location[place.pk], rule
    if ready(default):
        return default, "default"
    return None, "escrow"


@st.composite
def worlds(draw):
    n_locations = draw(st.integers(min_value=1, max_value=5))
    locations = [
        Location(pk=i + 1, name=f"Loc{i + 1}", is_home_location=draw(st.booleans()))
        for i in range(n_locations)
    ]
    n_accounts = draw(st.integers(min_value=0, max_value=4))
    accounts = [
        ConnectedAccount(
            pk=100 + i,
            display_name=f"Acct{i}",
            stripe_account_id=draw(st.sampled_from([f"acct_{i}", f"acct_{i}", ""])),
            charges_enabled=draw(st.booleans()),
        )
        for i in range(n_accounts)
    ]
    by_location = {}
    if accounts:
        for location in locations:
            choice = draw(st.one_of(st.none(), st.sampled_from(accounts)))
            if choice is not None:
                by_location[location.pk] = choice
    default = draw(st.one_of(st.none(), st.sampled_from(accounts))) if accounts else None
    maybe_location = st.one_of(st.none(), st.sampled_from(locations))
    purchase = Purchase(
        channel=draw(st.sampled_from(Channel.values)),
        item_kind=draw(st.sampled_from(ItemKind.values)),
        item_location=draw(maybe_location),
        client_home_location=draw(maybe_location),
        pos_location=draw(maybe_location),
    )
    return purchase, by_location, default


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_routing_always_follows_pay3(world):
    purchase, by_location, default = world
    route = route_with(purchase=purchase, by_location=by_location, default=default)
    expected_account, expected_rule = _oracle(purchase, by_location, default)
    assert route.account is expected_account
    assert route.rule == expected_rule
    # Every answer can be explained, and never routes to an account that cannot charge.
    assert route.reason
    if route.account is not None:
        assert route.account.can_charge
    # "passed over" names an account exactly when the rule's own location had one that could not charge.
    if route.passed_over:
        assert route.rule in ("default", "escrow")


# --- the database-backed service and the page ---------------------------------------------------


@pytest.fixture
def laval_world(studio, other_studio):
    """Plateau (default account) and Laval (its own account), both ready; a Laval client."""
    plateau = LocationFactory(studio=studio, name="Plateau")
    laval = LocationFactory(studio=studio, name="Laval")
    with scopes_disabled():
        main = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Plateau",
            creation_key="k1",
            stripe_account_id="acct_plateau",
            charges_enabled=True,
            is_default=True,
            state=ConnectedAccount.State.READY,
        )
        laval_acct = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Laval inc.",
            creation_key="k2",
            stripe_account_id="acct_laval",
            charges_enabled=True,
            state=ConnectedAccount.State.READY,
        )
        ConnectedAccountLocation.objects.create(studio=studio, account=main, location=plateau)
        ConnectedAccountLocation.objects.create(studio=studio, account=laval_acct, location=laval)
        # The other studio's Laval-named account must never be picked.
        other_loc = Location.objects.get(studio=other_studio)
        other = ConnectedAccount.objects.create(
            studio=other_studio,
            display_name="Bravo",
            creation_key="k3",
            stripe_account_id="acct_bravo",
            charges_enabled=True,
            is_default=True,
            state=ConnectedAccount.State.READY,
        )
        ConnectedAccountLocation.objects.create(studio=other_studio, account=other, location=other_loc)
    client = ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval)
    return {
        "plateau": plateau,
        "laval": laval,
        "main": main,
        "laval_acct": laval_acct,
        "client": client,
        "other_location": other_loc,
    }


@pytest.mark.django_db
def test_route_payment_reads_the_studios_accounts(studio, laval_world):
    with scope(studio=studio):
        route = route_payment(
            studio=studio, purchase=Purchase(ONLINE, K.MEMBERSHIP, client_home_location=laval_world["laval"])
        )
        assert route.account == laval_world["laval_acct"]
        assert route.rule == Rule.CLIENT_HOME and "Laval" in route.reason
        # A location of another studio has no account here: the default takes it.
        stray = route_payment(
            studio=studio, purchase=Purchase(POS, K.PRODUCT, pos_location=laval_world["other_location"])
        )
        assert stray.account == laval_world["main"] and stray.rule == Rule.DEFAULT


@pytest.mark.django_db
def test_where_would_it_go_page_answers_for_a_laval_client(owner_client, studio, laval_world):
    url = reverse("payments-routing", kwargs={"studio_slug": studio.slug})
    response = owner_client.get(url, {"channel": "online", "item_kind": "membership", "client_q": "Gagnon"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Atelier Laval inc." in body and "Laval — client" in body
    assert "Léa Gagnon" in body
    # htmx asks for the answer alone as fields change.
    partial = owner_client.get(
        url,
        {"channel": "pos", "item_kind": "product", "pos_location": laval_world["plateau"].pk},
        HTTP_HX_REQUEST="true",
    )
    text = partial.content.decode()
    assert "<html" not in text and "Atelier Plateau" in text and "Plateau — location chosen" in text


@pytest.mark.django_db
def test_page_explains_escrow_and_passed_over(owner_client, studio, laval_world):
    with scopes_disabled():
        ConnectedAccount.objects.filter(pk=laval_world["laval_acct"].pk).update(charges_enabled=False)
    url = reverse("payments-routing", kwargs={"studio_slug": studio.slug})
    body = owner_client.get(
        url, {"channel": "online", "item_kind": "class_booking", "item_location": laval_world["laval"].pk}
    ).content.decode()
    assert "cannot take payments yet" in body and "Atelier Plateau" in body
    with scopes_disabled():
        ConnectedAccount.objects.filter(studio=studio).update(charges_enabled=False)
    body = owner_client.get(url, {"channel": "online", "item_kind": "membership"}).content.decode()
    assert "escrow" in body.lower()


@pytest.mark.django_db
def test_several_matching_clients_are_offered(owner_client, studio, laval_world):
    ClientFactory(studio=studio, first_name="Léo", last_name="Gagnon")
    url = reverse("payments-routing", kwargs={"studio_slug": studio.slug})
    body = owner_client.get(
        url, {"channel": "online", "item_kind": "membership", "client_q": "Gagnon"}
    ).content.decode()
    assert "Several clients match" in body
    chosen = owner_client.get(
        url,
        {
            "channel": "online",
            "item_kind": "membership",
            "client": laval_world["client"].pk,
            "client_q": "Léa Gagnon",
        },
    ).content.decode()
    assert "Atelier Laval inc." in chosen


@pytest.mark.django_db
def test_other_studios_clients_and_locations_are_not_choices(owner_client, studio, other_studio, laval_world):
    with scopes_disabled():
        secret = Client.objects.get(studio=other_studio)
    url = reverse("payments-routing", kwargs={"studio_slug": studio.slug})
    body = owner_client.get(
        url, {"channel": "online", "item_kind": "membership", "client_q": "Secret"}
    ).content.decode()
    assert "Bravo" not in body
    invalid = owner_client.get(
        url,
        {
            "channel": "pos",
            "item_kind": "product",
            "pos_location": laval_world["other_location"].pk,
            "client": secret.pk,
        },
    )
    assert "Bravo" not in invalid.content.decode()


@pytest.mark.django_db
def test_routing_page_needs_connect_payments(login, studio, staff_factory):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    url = reverse("payments-routing", kwargs={"studio_slug": studio.slug})
    assert login(clerk.user).get(url).status_code == 403


# --- stored as codes, worded for each reader (issue 10) -----------------------------------------


def _in_french(client):
    from django.conf import settings as dj_settings

    client.cookies[dj_settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.mark.django_db
def test_a_payment_stores_its_route_as_codes_and_each_reader_reads_it_in_their_language(
    owner_client, studio, laval_world
):
    from payments.models import Payment
    from payments.services.charges import payment_create
    from studio.services import SYSTEM

    # Triggered by a French-speaking client: nothing French is stored.
    with translation.override("fr"), scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=SYSTEM,
            client=laval_world["client"],
            subtotal=2000,
            item_kind=ItemKind.MEMBERSHIP,
            channel=Channel.ONLINE,
            description="Illimité",
            method=Payment.Method.CASH,
        )
    with scopes_disabled():
        payment.refresh_from_db()
        created = payment.history.get()
    assert payment.routing_reason == "" and created.detail == ""
    assert payment.routing_params == {
        "location": laval_world["laval"].pk,
        "location_name": "Laval",
        "account": laval_world["laval_acct"].pk,
        "account_name": "Atelier Laval inc.",
    }
    url = reverse("payments-payment-detail", kwargs={"studio_slug": studio.slug, "pk": payment.pk})
    english = owner_client.get(url).content.decode()
    assert "Laval — client&#x27;s home location (account “Atelier Laval inc.”)" in english
    assert "lieu d&#x27;attache" not in english
    # The status history says words, not codes.
    assert "<td>Pending</td><td>Created</td>" in english and "<td>pending</td>" not in english
    french = _in_french(owner_client).get(url).content.decode()
    assert "Laval — lieu d&#x27;attache du client" in french and "home location" not in french
    assert "<td>En attente</td>" in french


@pytest.mark.django_db
def test_passed_over_accounts_are_worded_at_display_time(studio, laval_world):
    laval_world["laval_acct"].charges_enabled = False
    route = route_with(
        purchase=Purchase(ONLINE, K.MEMBERSHIP, client_home_location=laval_world["laval"]),
        by_location={laval_world["laval"].pk: laval_world["laval_acct"]},
        default=laval_world["main"],
    )
    assert route.rule == Rule.DEFAULT
    assert route.params["passed_over"] == [
        {
            "location": laval_world["laval"].pk,
            "location_name": "Laval",
            "account": laval_world["laval_acct"].pk,
            "account_name": "Atelier Laval inc.",
        }
    ]
    with translation.override("en"):
        assert "cannot take payments yet" in route.reason
    with translation.override("fr"):
        assert "cannot take payments yet" not in route.reason and "Laval" in route.reason


@pytest.mark.django_db
def test_legacy_sentences_are_shown_as_stored_and_status_history_details_are_worded(
    owner_client, studio, laval_world
):
    from payments.models import Payment, PaymentStatusChange

    with scopes_disabled():
        payment = Payment.objects.create(
            studio=studio,
            amount=1000,
            currency="CAD",
            subtotal=1000,
            routing_rule="default",
            routing_reason="Une phrase d'avant",
            channel="online",
            item_kind="other",
            description="Vieux",
            idempotency_key="legacy:1",
            status="succeeded",
        )
        PaymentStatusChange.objects.create(
            studio=studio, payment=payment, status="succeeded", source="api", detail="succeeded"
        )
        PaymentStatusChange.objects.create(
            studio=studio, payment=payment, status="pending", source="api", detail="outcome unknown — timeout"
        )
        PaymentStatusChange.objects.create(
            studio=studio,
            payment=payment,
            status="failed",
            source="webhook",
            detail="insufficient_funds: Your card has insufficient funds.",
        )
        Payment.objects.filter(pk=payment.pk).update(
            failure_code="insufficient_funds", failure_message="Your card has insufficient funds."
        )
    url = reverse("payments-payment-detail", kwargs={"studio_slug": studio.slug, "pk": payment.pk})
    body = owner_client.get(url).content.decode()
    assert "Une phrase d&#x27;avant" in body
    assert "Stripe: payment succeeded" in body and "Stripe&#x27;s answer was lost" in body
    assert "outcome unknown" not in body and "<td>api</td>" not in body
    assert "<td>Insufficient funds</td>" in body and "Stripe notification" in body
    assert "insufficient_funds" not in body


@pytest.mark.django_db
def test_data_migration_turns_old_sentences_into_codes_where_it_can(studio, laval_world):
    import importlib

    from django.apps import apps as django_apps

    from payments.models import Payment, PaymentStatusChange

    migration = importlib.import_module("payments.migrations.0006_paywords_codes_not_sentences")
    laval, acct, main = laval_world["laval"], laval_world["laval_acct"], laval_world["main"]
    english = "Laval — client's home location (account “Atelier Laval inc.”)"
    french = "Laval — lieu d'attache du client (compte «\u00a0Atelier Laval inc.\u00a0»)"  # OQLF spaces
    with scopes_disabled():

        def old(key, rule, reason, **fields):
            payment = Payment.objects.create(
                studio=studio,
                amount=1000,
                currency="CAD",
                subtotal=1000,
                routing_rule=rule,
                routing_reason=reason,
                channel="online",
                item_kind="membership",
                description=key,
                idempotency_key=key,
                **fields,
            )
            PaymentStatusChange.objects.create(
                studio=studio, payment=payment, status="pending", source="created", detail=reason
            )
            return payment

        en = old("en", "client_home_location", english, account=acct, client_home_location=laval)
        fr = old("fr", "client_home_location", french, account=acct, client_home_location=laval)
        default = old("default", "default", "Studio's default account “Atelier Plateau”", account=main)
        # A default reached after passing an account over: its parameters cannot be derived: kept.
        passed = old(
            "passed", "default", "Studio's default account “Atelier Plateau” — Laval's account…", account=main
        )
        migration.forwards(django_apps, None)
        for payment in (en, fr, default, passed):
            payment.refresh_from_db()
        assert en.routing_reason == fr.routing_reason == default.routing_reason == ""
        assert (
            en.routing_params
            == fr.routing_params
            == {
                "location": laval.pk,
                "location_name": "Laval",
                "account": acct.pk,
                "account_name": "Atelier Laval inc.",
            }
        )
        assert default.routing_params == {"account": main.pk, "account_name": "Atelier Plateau"}
        assert en.history.get().detail == ""
        assert passed.routing_params == {} and passed.routing_reason.startswith("Studio's default account")
        assert passed.history.get().detail == passed.routing_reason
