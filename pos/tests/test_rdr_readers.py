# ruff: noqa: F811 - the sandbox fixtures are imported from payments' conftest and named as arguments
"""Card reader pages (POS-2, POS-5; helper rdr): pairing a simulated reader on the sandbox end to end,
the refusals' sentences, one pairing per form however often it is sent, rename, delete with its
question, the status asked at Stripe only on request, the troubleshooting page's connection test,
hostile input, permissions and the other studio."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from payments.models import CardReader
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from pos.tests.factories import make_card_reader
from stripe_sandbox.resources.terminal import simulate
from studio.permissions import RoleKind
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

TOKEN = "t" * 32


def _url(studio, name, **kwargs):
    return reverse(name, kwargs={"studio_slug": studio.slug, **kwargs})


def _readers(studio, **filters):
    with scopes_disabled():
        return list(CardReader.objects.filter(studio=studio, **filters).order_by("id"))


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval")


@pytest.fixture
def laval_account(make_account, studio, laval):
    return make_account(studio, name="Laval account", default=True, locations=[laval])


def _pair(client, studio, location, *, code="simulated-wpe", label="Front desk", token=TOKEN):
    return client.post(
        _url(studio, "reader-create"),
        {"location": location.pk, "label": label, "registration_code": code, "request_token": token},
    )


# --- pairing, against the sandbox ------------------------------------------------------------------


def test_pairing_a_simulated_reader_end_to_end(
    owner_client, studio, other_studio, laval, laval_account, sandbox
):
    with translation.override("en"):
        page = owner_client.get(_url(studio, "reader-create"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "simulated-wpe" in body  # the sandbox says what to type
    assert "Generate pairing code" in body  # where the code is found on a WisePOS E
    assert 'name="request_token"' in body
    response = _pair(owner_client, studio, laval)
    assert response.status_code == 302, response.content.decode()[:2000]
    (reader,) = _readers(studio)
    assert (reader.label, reader.location_id, reader.account_id) == ("Front desk", laval.pk, laval_account.pk)
    # Registered on Laval's own connected account, in a Terminal location there.
    remote = sandbox.get(reader.stripe_reader_id, account=laval_account.stripe_account_id)
    assert remote is not None and remote["label"] == "Front desk"
    assert not _readers(other_studio)
    with translation.override("en"):
        listing = owner_client.get(_url(studio, "reader-list")).content.decode()
    assert "Front desk" in listing and "Laval account" in listing and "Laval" in listing
    if reader.serial_number:
        assert reader.serial_number in listing


def test_the_same_form_sent_twice_pairs_once(owner_client, studio, laval, laval_account, sandbox):
    first = _pair(owner_client, studio, laval)
    second = _pair(owner_client, studio, laval)
    assert first.status_code == 302
    assert second.status_code in (200, 302)
    assert len(_readers(studio)) == 1


def test_a_wrong_code_is_refused_with_stripes_sentence_and_nothing_is_saved(
    owner_client, studio, laval, laval_account, sandbox
):
    with translation.override("en"):
        response = _pair(owner_client, studio, laval, code="purple-monkey-dishwasher")
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert not _readers(studio)


def test_a_location_without_a_ready_account_is_refused_with_a_link_to_connect_one(
    owner_client, studio, laval, make_account, sandbox
):
    # Laval's own account is not the studio's default: Québec's sales have nowhere to go yet.
    make_account(studio, name="Laval account", default=False, locations=[laval])
    bare = LocationFactory(studio=studio, name="Québec")
    with translation.override("en"):
        page = owner_client.get(_url(studio, "reader-create")).content.decode()
        assert "No reader can be paired at Québec yet" in page
        response = _pair(owner_client, studio, bare)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Connect a payment account" in body
    assert _url(studio, "payments-accounts") in body
    assert not _readers(studio)


def test_a_location_that_is_not_a_home_location_cannot_be_chosen(
    owner_client, studio, laval_account, sandbox
):
    away = LocationFactory(studio=studio, name="Park", is_home_location=False)
    page = owner_client.get(_url(studio, "reader-create")).content.decode()
    assert "Park" not in page
    response = _pair(owner_client, studio, away)
    assert response.status_code == 200
    assert not _readers(studio)


def test_another_studios_location_cannot_be_chosen(
    owner_client, studio, other_studio, laval_account, sandbox
):
    theirs = LocationFactory(studio=other_studio, name="Theirs")
    response = _pair(owner_client, studio, theirs)
    assert response.status_code == 200
    assert not _readers(studio) and not _readers(other_studio)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("registration_code", "simulated\x00wpe"),
        ("registration_code", "é" * 10),
        ("registration_code", "simulated-wpe²"),
        ("registration_code", "x" * 300),
        ("registration_code", "simulated_wpe!"),
        ("label", "Front\x00desk"),
        ("label", "x" * 300),
        ("label", "   "),
        ("request_token", "short"),
        ("request_token", "ü" * 40),
    ],
)
def test_hostile_input_is_refused_and_pairs_nothing(
    owner_client, studio, laval, laval_account, sandbox, field, value
):
    data = {
        "location": laval.pk,
        "label": "Front desk",
        "registration_code": "simulated-wpe",
        "request_token": TOKEN,
    }
    data[field] = value
    response = owner_client.post(_url(studio, "reader-create"), data)
    assert response.status_code in (200, 400)  # NUL: refused by the middleware before the form
    assert not _readers(studio)


@pytest.mark.parametrize("typed", ["  simulated-wpe  ", "SIMULATED-WPE", "simulated wpe", "simulated - wpe"])
def test_a_code_is_read_as_people_type_it(owner_client, studio, laval, laval_account, sandbox, typed):
    assert _pair(owner_client, studio, laval, code=typed).status_code == 302
    assert len(_readers(studio)) == 1


# --- rename, delete, status ------------------------------------------------------------------------


@pytest.fixture
def paired(owner_client, studio, laval, laval_account, sandbox):
    assert _pair(owner_client, studio, laval).status_code == 302
    return _readers(studio)[0]


def test_rename(owner_client, studio, paired, laval_account, sandbox):
    page = owner_client.get(_url(studio, "reader-edit", pk=paired.pk))
    assert page.status_code == 200 and 'value="Front desk"' in page.content.decode()
    response = owner_client.post(_url(studio, "reader-edit", pk=paired.pk), {"label": "Studio A"})
    assert response.status_code == 302
    assert _readers(studio)[0].label == "Studio A"
    assert (
        sandbox.get(paired.stripe_reader_id, account=laval_account.stripe_account_id)["label"] == "Studio A"
    )
    for hostile in ("\x00", "x" * 300, " "):
        refused = owner_client.post(_url(studio, "reader-edit", pk=paired.pk), {"label": hostile})
        assert refused.status_code in (200, 400)  # NUL: refused by the middleware before the form
    assert _readers(studio)[0].label == "Studio A"


def test_delete_asks_first_saying_it_needs_pairing_again(owner_client, studio, paired, sandbox):
    url = _url(studio, "reader-delete", pk=paired.pk)
    with translation.override("en"):
        question = owner_client.get(url)
        assert question.status_code == 200
        assert "need pairing again" in question.content.decode()
        unconfirmed = owner_client.post(url, {})
    assert unconfirmed.status_code == 200
    assert _readers(studio, deleted_at__isnull=True)
    response = owner_client.post(url, {"confirmed": "1"})
    assert response.status_code == 302
    assert not _readers(studio, deleted_at__isnull=True)
    listing = owner_client.get(_url(studio, "reader-list")).content.decode()
    assert f'id="reader-{paired.pk}"' not in listing
    assert "removed" in listing
    # Gone: its pages answer 404.
    assert owner_client.get(_url(studio, "reader-edit", pk=paired.pk)).status_code == 404


def test_the_list_never_asks_stripe_and_shows_the_last_known_status(
    owner_client, studio, other_studio, monkeypatch
):
    import payments.services.terminal as terminal

    def forbidden(**kwargs):
        raise AssertionError("the list must not call Stripe per reader")

    monkeypatch.setattr(terminal, "reader_refresh", forbidden)
    make_card_reader(studio, label="Desk one", status="online")
    make_card_reader(studio, label="Desk two", status="offline")
    make_card_reader(other_studio, label="Secret desk")
    with translation.override("en"):
        body = owner_client.get(_url(studio, "reader-list")).content.decode()
    assert "Desk one" in body and "Desk two" in body and "Secret desk" not in body
    assert "Online" in body and "Offline" in body and "not checked yet" in body


def test_the_list_reads_the_same_queries_at_1_and_12_readers(owner_client, studio):
    make_card_reader(studio, label="Reader 0")
    owner_client.get(_url(studio, "reader-list"))
    with CaptureQueriesContext(connection) as one:
        owner_client.get(_url(studio, "reader-list"))
    for i in range(1, 12):
        make_card_reader(studio, label=f"Reader {i}")
    with CaptureQueriesContext(connection) as many:
        page = owner_client.get(_url(studio, "reader-list"))
    assert "Reader 11" in page.content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)


def test_check_the_status_asks_stripe_and_says_what_it_found(
    owner_client, studio, paired, laval_account, sandbox
):
    url = _url(studio, "reader-refresh", pk=paired.pk)
    assert owner_client.get(url).status_code == 405
    simulate(sandbox, paired.stripe_reader_id, "offline")
    with translation.override("en"):
        response = owner_client.post(url, {})
        assert response.status_code == 302
        followed = owner_client.get(response["Location"]).content.decode()
    assert "is offline" in followed
    reader = _readers(studio)[0]
    assert reader.status == "offline" and reader.status_checked_at is not None
    simulate(sandbox, paired.stripe_reader_id, "online")
    with translation.override("en"):
        partial = owner_client.post(url, {"back": "help"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    text = partial.content.decode()
    assert "is online" in text and "<html" not in text
    assert _readers(studio)[0].status == "online"
    # Stripe answering 500s: payments' sentence on the page, the last known status kept.
    sandbox.faults.next("server_error", "/v1/terminal/readers", count=5)
    with translation.override("en"):
        failed = owner_client.post(url, {"back": "help"}, HTTP_HX_REQUEST="true").content.decode()
    assert "could not be reached" in failed and "Online" in failed


def test_a_stripe_failure_on_the_status_check_is_said_not_a_500(owner_client, studio, monkeypatch):
    import payments.services.terminal as terminal

    reader = make_card_reader(studio)

    def down(**kwargs):
        raise RuntimeError("Stripe is down")

    monkeypatch.setattr(terminal, "reader_refresh", down)
    with translation.override("en"):
        response = owner_client.post(_url(studio, "reader-refresh", pk=reader.pk), {"back": "help"})
        followed = owner_client.get(response["Location"]).content.decode()
    assert "Stripe could not be reached" in followed


def test_the_troubleshooting_page_has_the_checks_and_a_test_per_reader(owner_client, studio, other_studio):
    reader = make_card_reader(studio, label="Desk one")
    make_card_reader(other_studio, label="Secret desk")
    with translation.override("en"):
        body = owner_client.get(_url(studio, "reader-help")).content.decode()
    for words in (
        "same Wi-Fi network",
        "2.4 GHz",
        "WPA2 Personal",
        "api.emms.bbpos.com",
        "Local Network",
        "pair it again",
    ):
        assert words in body, words
    assert _url(studio, "reader-refresh", pk=reader.pk) in body
    assert "Test the connection" in body
    assert "Secret desk" not in body


# --- permissions and the other studio --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"), [(RoleKind.FRONT_DESK, 200), (RoleKind.MANAGER, 200), (RoleKind.TEACHER, 403)]
)
def test_who_may_manage_readers(login, staff_factory, studio, kind, status):
    client = login(staff_factory(kind).user)
    reader = make_card_reader(studio)
    assert client.get(_url(studio, "reader-list")).status_code == status
    assert client.get(_url(studio, "reader-help")).status_code == status
    assert client.get(_url(studio, "reader-edit", pk=reader.pk)).status_code == status
    if status == 403:
        assert client.post(_url(studio, "reader-delete", pk=reader.pk), {"confirmed": "1"}).status_code == 403
        assert _readers(studio, deleted_at__isnull=True)


def test_another_studios_reader_answers_404_and_is_untouched(owner_client, studio, other_studio):
    theirs = make_card_reader(other_studio, label="Secret desk")
    for name in ("reader-edit", "reader-delete", "reader-refresh"):
        assert (
            owner_client.post(
                _url(studio, name, pk=theirs.pk), {"label": "Mine", "confirmed": "1"}
            ).status_code
            == 404
        )
    (row,) = _readers(other_studio)
    assert (row.label, row.deleted_at) == ("Secret desk", None)


def test_the_menu_shows_card_readers_to_those_who_may(login, staff_factory, studio):
    with translation.override("en"):
        desk = login(staff_factory(RoleKind.FRONT_DESK).user).get(_url(studio, "dashboard")).content.decode()
    assert _url(studio, "reader-list") in desk


def test_a_stripe_refusal_payments_did_not_word_is_a_sentence_not_a_500(owner_client, studio, sandbox):
    # A reader whose account the platform can no longer reach (access revoked at Stripe).
    reader = make_card_reader(studio, label="Desk one")
    with translation.override("en"):
        response = owner_client.post(_url(studio, "reader-edit", pk=reader.pk), {"label": "Desk two"})
    assert response.status_code == 200
    assert "Stripe did not accept the request" in response.content.decode()
    assert _readers(studio)[0].label == "Desk one"
