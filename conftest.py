"""Fixtures shared by every test suite. Every data set has a second studio (`other_studio`)."""

from __future__ import annotations

import pytest

from tests.factories import (
    PASSWORD,
    ClientFactory,
    LocationFactory,
    StaffFactory,
    UserFactory,
    make_studio,
    owner_of,
)


@pytest.fixture
def client():
    """Django's test client, speaking English unless a test switches (assertions read English text)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def studio(db):
    return make_studio("alpha", language="en")


@pytest.fixture
def other_studio(db):
    """The second studio of every data set: its rows must never leak into `studio`'s pages."""
    other = make_studio("bravo", language="en")
    location = LocationFactory(studio=other, name="Bravo HQ")
    ClientFactory(studio=other, first_name="Secret", last_name="Bravo", home_location=location)
    return other


@pytest.fixture
def location(studio):
    return LocationFactory(studio=studio, name="Plateau")


@pytest.fixture
def owner(studio):
    return owner_of(studio)


@pytest.fixture
def staff_factory(studio):
    def make(kind: str, *, on=None, **kwargs):
        return StaffFactory(studio=on or studio, kind=kind, **kwargs)

    return make


@pytest.fixture
def login(client):
    """Log a user in on the Django test client, bypassing axes (which wants a request)."""

    def do(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return do


@pytest.fixture
def owner_client(login, owner):
    return login(owner.user)


@pytest.fixture
def a_client(studio, location):
    return ClientFactory(studio=studio, first_name="Camille", last_name="Tremblay", home_location=location)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user_factory(db):
    return UserFactory


from tests.browser import browser, log_in_as, page  # noqa: E402,F401 - shared Playwright fixtures
