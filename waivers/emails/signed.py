"""The confirmation of a signature (WAI-4): "waivers.signed", sent to the signer by the task
"waivers.signature_confirm" with the signed record's PDF attached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register

SIGNED = register(
    MailTemplate(
        name="waivers.signed",
        label=_("Waiver signed (with its PDF)"),
        files="waivers/email/signed",
        variables=("waiver_name", "client", "signer", "for_someone_else", "version_number", "signed_at"),
        placeholders=(
            ph.value("waiver_name", _("Waiver name"), key="waiver_name", sample=_("Liability waiver")),
            ph.client_first_name(),
            ph.client_name(),
            ph.when("signed_at", _("Signed on"), key="signed_at"),
            ph.value("version_number", _("Waiver version"), key="version_number", sample="3"),
        ),
    )
)
