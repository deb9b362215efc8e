# ruff: noqa: F811 - the sandbox fixtures are imported from payments' conftest and named as arguments
"""POS settings (POS-3, helper rdr): tips on the reader, three whole percentages typed in French or
English, refusals that save nothing, the audit line, Stripe told after the commit (the sandbox's
Terminal configuration end to end) — and, when Stripe fails, the settings kept, the page saying
it will be retried and payments' retry task enqueued — and the permission."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from pos.forms.settings import PosSettingsForm
from pos.models import PosSettings
from pos.services import settings as svc
from studio.models import AuditLog
from studio.permissions import RoleKind
from studio.services import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def tipping(monkeypatch):
    """What payments' `terminal_tipping_apply` was asked, and a switch to make it fail."""
    import payments.services.terminal as terminal

    calls: list[tuple[int, list[int] | None]] = []
    state = {"fail": False}

    def fake(*, studio, tip_percentages):
        calls.append((studio.pk, tip_percentages))
        if state["fail"] == "raise":
            raise RuntimeError("something unexpected")
        return not state["fail"]

    monkeypatch.setattr(terminal, "terminal_tipping_apply", fake)
    return calls, state


def _url(studio):
    return reverse("pos-settings", kwargs={"studio_slug": studio.slug})


def _row(studio) -> PosSettings:
    with scopes_disabled():
        return PosSettings.objects.get(studio=studio)


def _post(client, studio, **overrides):
    data = {"tips_enabled": "on", "tip_1": "10", "tip_2": "15", "tip_3": "20"}
    data.update(overrides)
    return client.post(_url(studio), {k: v for k, v in data.items() if v is not None})


def test_defaults_are_created_once(studio, other_studio):
    with scope(studio=studio):
        first = svc.pos_settings_for(studio=studio)
        again = svc.pos_settings_for(studio=studio)
    assert first.pk == again.pk
    assert (first.tips_enabled, list(first.tip_percentages)) == (False, [15, 18, 20])


@pytest.mark.parametrize(
    ("values", "kept"),
    [([20, 10, 15], [10, 15, 20]), ([1, 50, 100], [1, 50, 100])],
)
def test_percentages_are_kept_in_increasing_order(values, kept):
    assert svc.tip_percentages_validate(values) == kept


@pytest.mark.parametrize(
    "values",
    [[15, 15, 20], [0, 10, 15], [10, 15, 101], [10, 15], [10, 15, 20, 25], [10, 15, "20"], [10, 15, True]],
)
def test_impossible_percentages_are_refused(values):
    with pytest.raises(ValidationError):
        svc.tip_percentages_validate(values)


@pytest.mark.parametrize(
    ("typed", "read"),
    [("15", 15), ("15 %", 15), ("15\u00a0%", 15), ("15,0", 15), ("15.0", 15)],
)
def test_a_percentage_is_read_in_french(studio, typed, read):
    with scope(studio=studio), translation.override("fr"):
        form = PosSettingsForm(
            {"tips_enabled": "on", "tip_1": typed, "tip_2": "18", "tip_3": "20"},
            settings=svc.pos_settings_for(studio=studio),
        )
        assert form.is_valid(), form.errors
    assert form.service_kwargs()["tip_percentages"] == sorted([read, 18, 20])


@pytest.mark.parametrize("typed", ["15,5", "²", "abc", "0", "101", "-5", "1e2", "15\x00", "9" * 300])
def test_a_percentage_that_is_not_a_whole_number_from_1_to_100_is_refused(studio, typed):
    with scope(studio=studio), translation.override("fr"):
        form = PosSettingsForm(
            {"tip_1": typed, "tip_2": "18", "tip_3": "20"}, settings=svc.pos_settings_for(studio=studio)
        )
        assert not form.is_valid()
        assert form.errors["tip_1"]


def test_owner_turns_tips_on_audited_and_stripe_is_told_after_the_commit(
    owner_client, studio, other_studio, tipping
):
    calls, _state = tipping
    page = owner_client.get(_url(studio))
    assert page.status_code == 200
    assert 'value="15"' in page.content.decode() and 'value="20"' in page.content.decode()
    response = _post(owner_client, studio, tip_1="20", tip_2="10", tip_3="15")
    assert response.status_code == 302
    row = _row(studio)
    assert (row.tips_enabled, list(row.tip_percentages)) == (True, [10, 15, 20])
    assert calls == [(studio.pk, [10, 15, 20])]
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="pos.settings_updated")
        assert entry.changes["tips_enabled"] == {"from": False, "to": True}
        assert entry.changes["tip_percentages"] == {"from": "15, 18, 20", "to": "10, 15, 20"}
        assert not PosSettings.objects.filter(studio=other_studio, tips_enabled=True).exists()
        assert not AuditLog.objects.filter(studio=other_studio, action="pos.settings_updated").exists()
    with translation.override("en"):
        followed = owner_client.get(_url(studio))
    assert "Point-of-sale settings saved." in followed.content.decode()


def test_tips_off_tells_stripe_none_and_same_values_write_no_audit(owner_client, studio, tipping):
    calls, _state = tipping
    _post(owner_client, studio, tips_enabled=None, tip_1="15", tip_2="18", tip_3="20")
    assert calls == [(studio.pk, None)]
    with scopes_disabled():
        assert not AuditLog.objects.filter(studio=studio, action="pos.settings_updated").exists()


def test_duplicates_are_refused_and_nothing_is_saved(owner_client, studio, tipping):
    calls, _state = tipping
    with translation.override("en"):
        response = _post(owner_client, studio, tip_1="15", tip_2="15", tip_3="20")
    assert response.status_code == 200
    assert "The three tip percentages must be different." in response.content.decode()
    row = _row(studio)
    assert (row.tips_enabled, list(row.tip_percentages)) == (False, [15, 18, 20])
    assert calls == []


def test_hostile_values_save_nothing(owner_client, studio, tipping):
    for value in ("\x00", "x" * 300, "²", "9999-12-31"):
        response = _post(owner_client, studio, tip_1=value)
        assert response.status_code in (200, 400)  # NUL: refused by the middleware before the form
    assert list(_row(studio).tip_percentages) == [15, 18, 20]
    assert tipping[0] == []


@pytest.mark.parametrize("failure", [True, "raise"])
def test_a_failure_to_tell_stripe_keeps_the_settings_and_says_it_will_be_retried(
    owner_client, studio, tipping, failure
):
    calls, state = tipping
    state["fail"] = failure
    with translation.override("en"):
        response = _post(owner_client, studio)
        assert response.status_code == 302
        followed = owner_client.get(response["Location"])
    assert "it will be retried automatically" in followed.content.decode()
    row = _row(studio)
    assert (row.tips_enabled, list(row.tip_percentages)) == (True, [10, 15, 20])
    assert calls == [(studio.pk, [10, 15, 20])]


def test_the_service_refuses_without_saving(studio, owner, tipping):
    with scope(studio=studio), pytest.raises(ValidationError):
        svc.pos_settings_update(
            studio=studio, actor=Actor(user=owner.user), tips_enabled=True, tip_percentages=[10, 10, 10]
        )
    with scope(studio=studio):
        assert svc.pos_settings_for(studio=studio).tips_enabled is False
    assert tipping[0] == []


@pytest.mark.parametrize(("kind", "status"), [(RoleKind.MANAGER, 403), (RoleKind.FRONT_DESK, 403)])
def test_only_settings_managers_open_the_page(login, staff_factory, studio, kind, status, tipping):
    member = staff_factory(kind)
    client = login(member.user)
    assert client.get(_url(studio)).status_code == status
    assert _post(client, studio).status_code == status
    with scopes_disabled():
        assert not PosSettings.objects.filter(studio=studio, tips_enabled=True).exists()


def test_the_settings_tab_is_listed_for_the_owner(owner_client, studio, tipping):
    with translation.override("en"):
        page = owner_client.get(reverse("settings", kwargs={"studio_slug": studio.slug}))
    assert _url(studio) in page.content.decode()


# --- end to end, payments' real tipping against the sandbox -----------------------------------------


def test_saved_tips_reach_the_readers_configuration_on_the_sandbox(
    owner_client, studio, location, make_account, sandbox, django_capture_on_commit_callbacks
):
    from pos.tests.test_rdr_readers import TOKEN

    account = make_account(studio, name="Plateau", default=True, locations=[location])
    paired = owner_client.post(
        reverse("reader-create", kwargs={"studio_slug": studio.slug}),
        {
            "location": location.pk,
            "label": "Desk",
            "registration_code": "simulated-wpe",
            "request_token": TOKEN,
        },
    )
    assert paired.status_code == 302
    with django_capture_on_commit_callbacks(execute=False) as callbacks, translation.override("en"):
        response = _post(owner_client, studio, tip_1="12", tip_2="18", tip_3="25")
        followed = owner_client.get(response["Location"]).content.decode()
    assert "Point-of-sale settings saved." in followed
    assert not callbacks  # nothing left to retry
    configurations = sandbox.objects("terminal.configuration", account=account.stripe_account_id)
    tipping = [c["tipping"] for c in configurations if c.get("tipping")]
    assert tipping and tipping[-1]["cad"]["percentages"] == [12, 18, 25]


def test_stripe_down_at_save_time_is_retried_by_payments(
    owner_client, studio, location, make_account, sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    from pos.tests.test_rdr_readers import TOKEN

    make_account(studio, name="Plateau", default=True, locations=[location])
    owner_client.post(
        reverse("reader-create", kwargs={"studio_slug": studio.slug}),
        {
            "location": location.pk,
            "label": "Desk",
            "registration_code": "simulated-wpe",
            "request_token": TOKEN,
        },
    )
    import studio.tasking as tasking

    sent: list[str] = []
    real = tasking.enqueue_by_name

    def spy(name, *args, **kwargs):
        sent.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr("payments.services.terminal.enqueue_by_name", spy)
    sandbox.faults.next("server_error", "/v1/terminal/configurations", count=10)
    with translation.override("en"):
        response = _post(owner_client, studio)
        followed = owner_client.get(response["Location"]).content.decode()
    assert "it will be retried automatically" in followed
    assert "payments.terminal_tipping_sync" in sent
    assert _row(studio).tips_enabled is True
