"""The emailed signing link (WAI-3): "waivers.link", sent by `waiver_link_send` to the signer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.permissions import Perm

LINK = register(
    MailTemplate(
        name="waivers.link",
        label=_("Waiver signing link"),
        files="waivers/email/link",
        variables=("waiver_name", "client", "signer", "for_someone_else", "url", "expires", "days"),
        # The body holds a working link: only staff who may have the client sign in person read it.
        reveal_perm=Perm.MANAGE_CLIENTS,
        placeholders=(
            ph.value("waiver_name", _("Waiver name"), key="waiver_name", sample=_("Liability waiver")),
            ph.client_first_name(),
            ph.client_name(),
            ph.link("link", _("Signing link (works once)"), key="url"),
            ph.when("expires", _("Link expiry"), key="expires"),
        ),
    )
)
