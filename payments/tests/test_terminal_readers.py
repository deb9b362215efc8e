"""Card readers (POS-2): pairing on the location's own account, rename, delete, refresh, tips."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from payments.models import CardReader, PaymentSettings, TerminalLocation
from payments.services import terminal
from stripe_sandbox.resources.terminal import simulate
from studio.models import AuditLog, Location
from studio.services import SYSTEM, Actor
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval", city="Laval", region="QC", postal_code="H7N 1A1")


@pytest.fixture
def accounts(make_account, studio, location, laval):
    """Plateau is served by the default account, Laval by its own."""
    main = make_account(studio, name="Plateau Inc.", default=True, locations=[location])
    own = make_account(studio, name="Laval Inc.", locations=[laval])
    return main, own


def _register(studio, location, *, token="tok-1", label="Front desk", code="simulated-wpe", actor=SYSTEM):
    with scope(studio=studio):
        return terminal.reader_register(
            studio=studio,
            actor=actor,
            location=location,
            label=label,
            registration_code=code,
            request_token=token,
        )


def _stripe_readers(sandbox, account):
    return [
        r
        for r in sandbox.objects("terminal.reader", account=account.stripe_account_id)
        if not r.get("deleted")
    ]


def test_a_reader_lands_on_its_locations_own_account_in_a_mirroring_terminal_location(
    sandbox, studio, owner, laval, accounts
):
    main, own = accounts
    reader = _register(studio, laval, actor=Actor(user=owner.user))
    assert reader.account_id == own.pk and reader.location_id == laval.pk
    assert reader.status == CardReader.Status.ONLINE and reader.serial_number and reader.device_type
    # At Stripe: on Laval's account, never on the default one, inside a Terminal location named after ours.
    assert [r["id"] for r in _stripe_readers(sandbox, own)] == [reader.stripe_reader_id]
    assert _stripe_readers(sandbox, main) == []
    locations = sandbox.objects("terminal.location", account=own.stripe_account_id)
    assert len(locations) == 1 and locations[0]["display_name"] == "Laval"
    assert locations[0]["address"]["city"] == "Laval" and locations[0]["address"]["country"] == "CA"
    assert _stripe_readers(sandbox, own)[0]["location"] == locations[0]["id"]
    # A second reader at Laval reuses the Terminal location.
    second = _register(studio, laval, token="tok-2", label="Studio B")
    assert second.terminal_location_id == reader.terminal_location_id
    assert len(sandbox.objects("terminal.location", account=own.stripe_account_id)) == 1
    with scopes_disabled():
        entry = AuditLog.objects.get(action="card_reader.registered", object_id=str(reader.pk))
    assert entry.actor == owner.user and entry.changes["reader_location"] == laval.pk


def test_the_same_form_sent_twice_pairs_one_reader(sandbox, studio, laval, accounts):
    first = _register(studio, laval, token="same-token")
    again = _register(studio, laval, token="same-token")
    assert again.pk == first.pk
    assert len(_stripe_readers(sandbox, accounts[1])) == 1
    with scopes_disabled():
        assert CardReader.objects.filter(studio=studio).count() == 1


def test_a_non_home_location_another_studios_location_and_no_ready_account_are_refused(
    sandbox, studio, other_studio, make_account, accounts
):
    annex = LocationFactory(studio=studio, name="Annex", is_home_location=False)
    with pytest.raises(ValidationError) as refused:
        _register(studio, annex)
    assert refused.value.code == "location"
    with scopes_disabled():
        theirs = Location.objects.filter(studio=other_studio).first()
    with pytest.raises(ValidationError) as refused:
        _register(studio, theirs)
    assert refused.value.code == "location"
    with scopes_disabled():
        assert CardReader.objects.count() == 0


def test_a_location_without_an_account_of_its_own_pairs_on_the_default_and_none_at_all_is_refused(
    sandbox, studio, make_account, accounts
):
    """PAY-3 for readers: the reader sits on the account the location's POS sales go to — its own
    when it can charge, else the studio's default — so its payments and the reader always agree."""
    from payments.models import ConnectedAccount

    onboarding = LocationFactory(studio=studio, name="Rosemont")
    make_account(studio, name="Rosemont Inc.", locations=[onboarding], ready=False)
    unserved = LocationFactory(studio=studio, name="Verdun")
    with scopes_disabled():
        default = ConnectedAccount.objects.get(studio=studio, is_default=True)
    assert _register(studio, onboarding, token="tok-r").account_id == default.pk  # its own cannot charge yet
    assert _register(studio, unserved, token="tok-v").account_id == default.pk
    with scopes_disabled():
        ConnectedAccount.objects.filter(studio=studio).update(charges_enabled=False, state="onboarding")
    with pytest.raises(ValidationError) as refused:
        _register(studio, LocationFactory(studio=studio, name="Lachine"), token="tok-l")
    assert refused.value.code == "account" and "Lachine" in refused.value.messages[0]


def test_a_code_stripe_refuses_says_so_and_pairs_nothing(sandbox, studio, laval, accounts):
    with pytest.raises(ValidationError) as refused:
        _register(studio, laval, code="purple-monkey-dishwasher")
    assert refused.value.code == "registration_code"
    with pytest.raises(ValidationError) as refused:
        _register(studio, laval, code="not a code\x00")
    assert refused.value.code == "registration_code"
    with pytest.raises(ValidationError) as refused:
        _register(studio, laval, label="x" * 61)
    assert refused.value.code == "label"
    with scopes_disabled():
        assert CardReader.objects.count() == 0
    assert _stripe_readers(sandbox, accounts[1]) == []


def test_rename_reaches_stripe_every_time(sandbox, studio, laval, accounts):
    reader = _register(studio, laval)
    with scope(studio=studio):
        for label in ("Counter", "Front desk", "Counter"):
            reader = terminal.reader_rename(studio=studio, actor=SYSTEM, reader=reader, label=label)
            assert _stripe_readers(sandbox, accounts[1])[0]["label"] == label
    assert reader.label == "Counter" and reader.revision == 3


def test_delete_unpairs_at_stripe_and_keeps_the_row(sandbox, studio, laval, accounts):
    reader = _register(studio, laval)
    with scope(studio=studio):
        terminal.reader_delete(studio=studio, actor=SYSTEM, reader=reader)
        assert terminal.readers_for_location(studio=studio, location=laval) == []
        assert terminal.readers_for_studio(studio=studio) == []
        assert terminal.reader_get(studio=studio, pk=reader.pk) is None
        terminal.reader_delete(studio=studio, actor=SYSTEM, reader=reader)  # twice: harmless
    reader.refresh_from_db()
    assert reader.deleted_at is not None
    assert _stripe_readers(sandbox, accounts[1]) == []
    with scopes_disabled():
        assert AuditLog.objects.filter(action="card_reader.deleted").count() == 1


def test_refresh_reads_online_and_offline_from_stripe(sandbox, studio, laval, accounts):
    reader = _register(studio, laval)
    simulate(sandbox, reader.stripe_reader_id, "offline")
    with scope(studio=studio):
        reader = terminal.reader_refresh(reader=reader)
        assert reader.status == CardReader.Status.OFFLINE and reader.status_checked_at is not None
        simulate(sandbox, reader.stripe_reader_id, "online")
        reader = terminal.reader_refresh(reader=reader)
        assert reader.status == CardReader.Status.ONLINE and reader.last_seen_at is not None


def test_refresh_of_a_reader_deleted_at_stripe_marks_it_offline(sandbox, studio, laval, accounts):
    from payments import gateway

    reader = _register(studio, laval)
    gateway.terminal_reader_delete(
        account=accounts[1].stripe_account_id, reader_id=reader.stripe_reader_id, idempotency_key="gone"
    )
    with scope(studio=studio), pytest.raises(ValidationError):
        terminal.reader_refresh(reader=reader)
    reader.refresh_from_db()
    assert reader.status == CardReader.Status.OFFLINE


def test_readers_of_the_studio_in_one_query(sandbox, studio, location, laval, accounts, other_studio):
    _register(studio, laval, token="a")
    with scope(studio=studio), CaptureQueriesContext(connection) as one:
        listed = terminal.readers_for_studio(studio=studio)
        [(r.location.name, r.account.display_name) for r in listed]
    for n in range(4):
        _register(studio, location if n % 2 else laval, token=f"b{n}", label=f"Reader {n}")
    with scope(studio=studio), CaptureQueriesContext(connection) as many:
        listed = terminal.readers_for_studio(studio=studio)
        [(r.location.name, r.account.display_name) for r in listed]
    assert len(listed) == 5 and len(one) == len(many) == 1
    assert [r.location.name for r in listed] == sorted(r.location.name for r in listed)


def _configuration_of(sandbox, account):
    configurations = sandbox.objects("terminal.configuration", account=account.stripe_account_id)
    locations = sandbox.objects("terminal.location", account=account.stripe_account_id)
    return configurations, locations


def test_tipping_is_a_configuration_per_account_that_its_locations_point_at(
    sandbox, studio, location, laval, accounts
):
    own = accounts[1]
    _register(studio, laval, token="a")
    _register(studio, location, token="b")
    with scope(studio=studio):
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20]) is True
    for account in accounts:
        configurations, locations = _configuration_of(sandbox, account)
        assert len(configurations) == 1
        assert configurations[0]["tipping"][studio.currency.lower()]["percentages"] == [15, 18, 20]
        assert [loc["configuration_overrides"] for loc in locations] == [configurations[0]["id"]]
    with scope(studio=studio):
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=[10, 12, 14])
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20])
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=None)
    configurations, _locations = _configuration_of(sandbox, own)
    assert len(configurations) == 1 and not (configurations[0].get("tipping") or {}).get(
        studio.currency.lower()
    )
    with scopes_disabled():
        assert all(row.tipping_applied == [] for row in TerminalLocation.objects.filter(studio=studio))
        assert PaymentSettings.objects.get(studio=studio).terminal_tip_percentages is None


def test_a_reader_paired_after_tips_were_chosen_gets_them(sandbox, studio, location, laval, accounts):
    with scope(studio=studio):
        terminal.terminal_tipping_apply(studio=studio, tip_percentages=[10, 15, 20])
    _register(studio, laval)
    configurations, locations = _configuration_of(sandbox, accounts[1])
    assert configurations[0]["tipping"][studio.currency.lower()]["percentages"] == [10, 15, 20]
    assert locations[0]["configuration_overrides"] == configurations[0]["id"]


def test_tipping_that_could_not_reach_stripe_is_applied_later(sandbox, studio, laval, accounts):
    _register(studio, laval)
    sandbox.faults.next("server_error", "/v1/terminal/configurations")
    with scope(studio=studio):
        assert terminal.terminal_tipping_apply(studio=studio, tip_percentages=[15, 18, 20]) is False
        assert sandbox.objects("terminal.configuration", account=accounts[1].stripe_account_id) == []
        assert terminal.terminal_tipping_sync(studio=studio) is True
    configurations, _locations = _configuration_of(sandbox, accounts[1])
    assert configurations[0]["tipping"][studio.currency.lower()]["percentages"] == [15, 18, 20]


def test_tip_percentages_are_checked(studio):
    for wrong in ([], [0], [101], [15, 15], [1, 2, 3, 4], [True]):
        with scope(studio=studio), pytest.raises(ValueError):
            terminal.terminal_tipping_apply(studio=studio, tip_percentages=wrong)


@pytest.mark.django_db(transaction=True)
def test_a_double_click_racing_itself_pairs_one_reader(sandbox, studio, laval, accounts):
    import threading

    barrier = threading.Barrier(5)
    errors, readers = [], []

    def click():
        try:
            barrier.wait()
            readers.append(_register(studio, laval, token="double-click"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.pk for r in readers}) == 1
    assert len(_stripe_readers(sandbox, accounts[1])) == 1
    assert len(sandbox.objects("terminal.location", account=accounts[1].stripe_account_id)) == 1
    with scopes_disabled():
        assert CardReader.objects.filter(studio=studio).count() == 1


def test_an_address_stripe_finds_incomplete_is_named(sandbox, studio, laval, accounts, monkeypatch):
    from payments import gateway

    def refuse(**kwargs):
        raise gateway.InvalidRequest("Missing required param: address[line1].", param="address[line1]")

    monkeypatch.setattr(gateway, "terminal_location_create", refuse)
    with pytest.raises(ValidationError) as refused:
        _register(studio, laval)
    assert refused.value.code == "location" and "Laval" in refused.value.messages[0]
    with scopes_disabled():
        assert CardReader.objects.count() == 0
