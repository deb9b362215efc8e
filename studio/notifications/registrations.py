"""What the notifications package adds to the core's registries (called from StudioConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    # Settings > Emails, beside Branding (whose logo and colours frame every email).
    navigation.add_settings_tab(
        NavEntry(_("Emails"), "mail-template-list", perm=Perm.MANAGE_SETTINGS, settings_tab="emails")
    )
    audit.register_actions(
        {
            "mail_template.created": _("Email template customized"),
            "mail_template.changed": _("Email template changed"),
            "mail_template.reset": _("Email template reset to the default"),
        }
    )

    def _template_label(value, ctx) -> str:
        from studio.notifications import selectors

        return selectors.template_label(value) if value else ""

    def _language_label(value, ctx) -> str:
        from studio.notifications import selectors

        return selectors.language_label(value) if value else ""

    audit.register_fields(
        {
            "mail_template": audit.Field(_("Email"), _template_label),
            "mail_language": audit.Field(_("Language"), _language_label),
        }
    )
    audit.register_record("mailtemplateoverride", _override_record)


def _override_record(entry) -> str | None:
    from studio.notifications import selectors

    name = (entry.changes or {}).get("mail_template")
    return selectors.template_label(name) if name else None
