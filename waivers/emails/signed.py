"""The confirmation of a signature (WAI-4): "waivers.signed", sent to the signer by the task
"waivers.signature_confirm" with the signed record's PDF attached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from studio.notifications.registry import MailTemplate, register

SIGNED = register(
    MailTemplate(
        name="waivers.signed",
        label=_("Waiver signed (with its PDF)"),
        files="waivers/email/signed",
        variables=("waiver_name", "client", "signer", "for_someone_else", "version_number", "signed_at"),
    )
)
