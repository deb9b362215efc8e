"""Everything memberships plugs into the platform and the other apps, called once from `ready()`.

One function per seam, so each stays short and findable.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register_all() -> None:
    _navigation()
    _payment_sources()
    _booking_payers()
    _beat()
    _panels()
    _emails()
    _audit()
    _home_change()


def _navigation() -> None:
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm

    navigation.add_manage(NavEntry(_("Memberships"), "plan-list", perm=Perm.MANAGE_MEMBERSHIPS, order=20))


def _payment_sources() -> None:
    pass


def _booking_payers() -> None:
    pass


def _beat() -> None:
    pass


def _panels() -> None:
    pass


def _emails() -> None:
    pass


def _audit() -> None:
    pass


def _home_change() -> None:
    pass
