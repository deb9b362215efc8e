"""Membership settings page (H7): the retry schedule as typed (English and French), the studio's
choices, refusals that save nothing, the audit line, and the permission."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from memberships.forms.settings import parse_retry_days
from memberships.models import MembershipSettings
from memberships.services.settings import membership_settings_for, retry_days_validate
from studio.models import AuditLog
from studio.permissions import RoleKind

pytestmark = pytest.mark.django_db


def _url(studio):
    return reverse("membership-settings", kwargs={"studio_slug": studio.slug})


def _post(client, studio, **overrides):
    data = {
        "retry_days": "1, 3, 5",
        "after_last_retry": "past_due",
        "past_due_bookings": "allow",
        "cancel_proration": "none",
        "renewal_hour": "3",
    }
    data.update(overrides)
    return client.post(_url(studio), data)


def _settings(studio) -> MembershipSettings:
    with scopes_disabled():
        return MembershipSettings.objects.get(studio=studio)


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("1, 3, 5", [1, 3, 5]),
        ("1,3,5", [1, 3, 5]),
        ("1; 3; 5", [1, 3, 5]),
        ("1\u00a0; 3\u00a0; 5", [1, 3, 5]),  # French typography: a non-breaking space before « ; »
        ("1, 3 et 5", [1, 3, 5]),
        ("2 and 4", [2, 4]),
        ("  7  ", [7]),
        ("1 2 3", [1, 2, 3]),
        ("", []),
    ],
)
def test_retry_days_are_read_as_people_type_them(typed, days):
    assert parse_retry_days(typed) == days


@pytest.mark.parametrize("typed", ["²", "١, ٣", "1.5", "1-3", "abc", "1e3", "-1", "1,,x", "1000"])
def test_retry_days_refuse_what_is_not_a_day_count(typed):
    with pytest.raises(ValidationError):
        parse_retry_days(typed)


@pytest.mark.parametrize(
    "days",
    [[0], [61], [3, 1], [1, 1], list(range(1, 12)), [1, 99999999999999]],
)
def test_retry_schedule_bounds(days):
    with pytest.raises(ValidationError):
        retry_days_validate(days)


def test_defaults_are_created_once_on_first_read(studio, other_studio):
    with scope(studio=studio):
        first = membership_settings_for(studio=studio)
        again = membership_settings_for(studio=studio)
    assert first.pk == again.pk
    assert (first.retry_days, first.after_last_retry, first.past_due_bookings, first.renewal_hour) == (
        [1, 3, 5],
        "past_due",
        "allow",
        3,
    )


def test_owner_saves_the_schedule_and_choices_audited(owner_client, studio, other_studio):
    page = owner_client.get(_url(studio))
    assert page.status_code == 200
    assert 'value="1, 3, 5"' in page.content.decode()
    response = _post(
        owner_client,
        studio,
        retry_days="2, 4, 7, 14",
        after_last_retry="cancel",
        past_due_bookings="block",
        cancel_proration="credit",
        renewal_hour="5",
    )
    assert response.status_code == 302
    saved = _settings(studio)
    assert (saved.retry_days, saved.after_last_retry, saved.past_due_bookings) == (
        [2, 4, 7, 14],
        "cancel",
        "block",
    )
    assert (saved.cancel_proration, saved.renewal_hour) == ("credit", 5)
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="memberships.settings_updated")
        assert entry.changes["retry_days"] == {"from": "1, 3, 5", "to": "2, 4, 7, 14"}
        assert entry.changes["renewal_hour"] == {"from": 3, "to": 5}
        # The other studio keeps its defaults and hears nothing.
        assert (
            not MembershipSettings.objects.filter(studio=other_studio).exclude(retry_days=[1, 3, 5]).exists()
        )
        assert not AuditLog.objects.filter(
            studio=other_studio, action="memberships.settings_updated"
        ).exists()
    # Saving the same values again writes no audit line.
    _post(
        owner_client,
        studio,
        retry_days="2,4,7,14",
        after_last_retry="cancel",
        past_due_bookings="block",
        cancel_proration="credit",
        renewal_hour="5",
    )
    with scopes_disabled():
        assert AuditLog.objects.filter(studio=studio, action="memberships.settings_updated").count() == 1


def test_french_input_and_errors(owner_client, studio):
    owner_client.cookies["django_language"] = "fr"
    with translation.override("fr"):
        response = _post(owner_client, studio, retry_days="1\u00a0; 2 et 10", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    assert _settings(studio).retry_days == [1, 2, 10]
    response = owner_client.post(
        _url(studio),
        {
            "retry_days": "5, 3",
            "after_last_retry": "past_due",
            "past_due_bookings": "allow",
            "cancel_proration": "none",
            "renewal_hour": "3",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    assert "id_retry_days_error" in response.content.decode()
    assert _settings(studio).retry_days == [1, 2, 10]


@pytest.mark.parametrize(
    "overrides",
    [
        {"retry_days": "1, 3, 90"},
        {"retry_days": "0"},
        {"retry_days": "3, 1"},
        {"retry_days": "1,2,3,4,5,6,7,8,9,10,11"},
        {"retry_days": "²"},
        {"retry_days": "1\x00"},
        {"retry_days": "x" * 10_000},
        {"after_last_retry": "explode"},
        {"past_due_bookings": ""},
        {"cancel_proration": "refund_twice"},
        {"renewal_hour": "24"},
        {"renewal_hour": "-1"},
        {"renewal_hour": "²"},
    ],
)
def test_hostile_values_are_refused_and_nothing_is_saved(owner_client, studio, overrides):
    response = _post(owner_client, studio, **overrides)
    if "\x00" in overrides.get("retry_days", ""):
        assert response.status_code == 400  # the platform's hostile-input middleware answers first
    else:
        assert response.status_code == 200
        assert "has-error" in response.content.decode()
    with scopes_disabled():
        row = MembershipSettings.objects.filter(studio=studio).first()
        assert row is None or (row.retry_days, row.renewal_hour) == ([1, 3, 5], 3)
        assert not AuditLog.objects.filter(studio=studio, action="memberships.settings_updated").exists()


def test_an_empty_schedule_means_no_retry(owner_client, studio):
    assert _post(owner_client, studio, retry_days="").status_code == 302
    assert _settings(studio).retry_days == []


def test_front_desk_cannot_open_the_settings(login, staff_factory, studio):
    front_desk = staff_factory(RoleKind.FRONT_DESK)
    response = login(front_desk.user).get(_url(studio))
    assert response.status_code == 403
