"""Everything memberships plugs into the platform and the other apps, called once from `ready()`.

One function per seam, so each stays short and findable.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register_all() -> None:
    _navigation()
    _checklist()
    _sale_sources()
    _renewal_sources()
    _booking_payers()
    _beat()
    _beat_methods()
    _profile_panels()
    _emails()
    _audit_plans()
    _audit_sales()
    _audit_renewals()
    _audit_lifecycle()
    _home_change()


def _navigation() -> None:
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm

    navigation.add_manage(NavEntry(_("Memberships"), "plan-list", perm=Perm.MANAGE_MEMBERSHIPS, order=20))


def _checklist() -> None:  # plans (H1)
    pass


def _sale_sources() -> None:  # selling (H2)
    pass


def _renewal_sources() -> None:  # renewal engine (H4)
    pass


def _booking_payers() -> None:  # entitlements (H3)
    pass


def _beat() -> None:  # renewal engine (H4)
    pass


def _beat_methods() -> None:  # lifecycle / payment methods (H6)
    pass


def _profile_panels() -> None:  # selling (H2)
    pass


def _emails() -> None:
    # Mail templates register when their modules are imported: the web needs them too (outbox).
    import memberships.emails  # noqa: F401


def _audit_plans() -> None:  # H1
    pass


def _audit_sales() -> None:  # H2
    pass


def _audit_renewals() -> None:  # H4
    pass


def _audit_lifecycle() -> None:  # H6
    pass


def _home_change() -> None:  # H6
    pass
