"""Fixtures shared by every test suite. Every data set has a second studio (`other_studio`)."""

from __future__ import annotations

import pytest

# Factories import Django models: they are imported inside the fixtures, so that suites which do
# not use Django (`pytest -p no:django stripe_sandbox`) can still load this file.


@pytest.fixture
def client():
    """Django's test client, speaking English unless a test switches (assertions read English text)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def studio(db):
    from tests.factories import make_studio

    return make_studio("alpha", language="en")


@pytest.fixture
def other_studio(db):
    """The second studio of every data set: its rows must never leak into `studio`'s pages."""
    from tests.factories import ClientFactory, LocationFactory, make_studio

    other = make_studio("bravo", language="en")
    location = LocationFactory(studio=other, name="Bravo HQ")
    ClientFactory(studio=other, first_name="Secret", last_name="Bravo", home_location=location)
    return other


@pytest.fixture
def location(studio):
    from tests.factories import LocationFactory

    return LocationFactory(studio=studio, name="Plateau")


@pytest.fixture
def owner(studio):
    from tests.factories import owner_of

    return owner_of(studio)


@pytest.fixture
def staff_factory(studio):
    from tests.factories import StaffFactory

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
    from tests.factories import ClientFactory

    return ClientFactory(studio=studio, first_name="Camille", last_name="Tremblay", home_location=location)


@pytest.fixture
def password():
    from tests.factories import PASSWORD

    return PASSWORD


@pytest.fixture
def user_factory(db):
    from tests.factories import UserFactory

    return UserFactory


from tests.browser import browser, log_in_as, page  # noqa: E402,F401 - shared Playwright fixtures


@pytest.fixture
def celery_eager():
    """Run tasks in-process, at once. Set on the Celery app itself: it reads Django's settings
    once, so overriding CELERY_TASK_ALWAYS_EAGER after it has been configured changes nothing."""
    from studio.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
