"""`readers_for_location` reads through compiled SQL: the ORM's rows, with their account, by name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from payments.models import CardReader
from payments.selectors import readers_for_location
from pos.tests.factories import make_card_reader
from tests.factories import LocationFactory
from tests.rows import own_columns

pytestmark = pytest.mark.django_db


def test_the_readers_of_a_location_are_the_orms_rows_with_their_account(studio, other_studio):
    here = LocationFactory(studio=studio, name="Laval")
    zed = make_card_reader(studio, location=here, label="Zed")
    make_card_reader(studio, location=here, label="Alpha", account=zed.account)
    gone = make_card_reader(studio, location=here, label="Gone", account=zed.account)
    make_card_reader(studio, label="Elsewhere")
    make_card_reader(other_studio, label="Theirs")
    with scopes_disabled():
        CardReader.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    with scope(studio=studio):
        found = readers_for_location(studio=studio, location=here)
        orm = list(
            CardReader.objects.filter(location=here, deleted_at__isnull=True)
            .select_related("account")
            .order_by("label", "id")
        )
        with CaptureQueriesContext(connection) as ctx:
            accounts = [reader.account.display_name for reader in found]
    assert [r.label for r in found] == ["Alpha", "Zed"] and len(ctx.captured_queries) == 0
    assert [own_columns(r) for r in found] == [own_columns(r) for r in orm]
    assert [own_columns(r.account) for r in found] == [own_columns(r.account) for r in orm] and accounts
    with scope(studio=other_studio):
        assert readers_for_location(studio=other_studio, location=here) == []
