"""Where waivers plug into the platform's seams: one function per seam, called from `ready()`."""

from __future__ import annotations


def register_all() -> None:
    _templates()  # wtpl
    _signing()  # wsign
    _records()  # wrec
    _requirements()  # wreq


def _templates() -> None:  # wtpl: navigation, checklist step "waivers", audit of templates/versions
    from django.utils.translation import gettext_lazy as _

    from studio import checklist, navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    navigation.add_manage(NavEntry(_("Waivers"), "waiver-list", perm=Perm.MANAGE_WAIVERS, order=25))

    def waivers_step_done(studio) -> bool:
        # Done once clients can be asked to sign something: a published waiver not archived.
        from waivers.selectors.templates import waiver_published_exists

        return waiver_published_exists(studio=studio)

    checklist.CHECKS["waivers"] = waivers_step_done

    audit.register_actions(
        {
            "waiver.created": _("Waiver created"),
            "waiver.renamed": _("Waiver renamed"),
            "waiver.draft_saved": _("Waiver draft saved"),
            "waiver.published": _("Waiver version published"),
            "waiver.archived": _("Waiver archived"),
            "waiver.restored": _("Waiver restored"),
            "waiver.settings_updated": _("Waiver settings changed"),
        }
    )

    def _fields(value, ctx) -> str:
        labels = {
            "title_fr": _("title (French)"),
            "title_en": _("title (English)"),
            "body_fr": _("text (French)"),
            "body_en": _("text (English)"),
        }
        if isinstance(value, list):
            return ", ".join(str(labels.get(v, v)) for v in value)
        return audit.plain(value, ctx)

    audit.register_fields(
        {
            "version": audit.Field(_("Version")),
            "fields": audit.Field(_("Changed"), _fields),
            "resign_required": audit.Field(_("Earlier signers asked to sign again")),
            "link_valid_days": audit.Field(_("Signing links expire after (days)")),
        }
    )


def _signing() -> None:  # wsign: emails (waiver link), audit of signatures and links
    from django.utils.translation import gettext_lazy as _

    # Mail templates register when their module is imported: the web needs them too (outbox).
    import waivers.emails.link  # noqa: F401
    from studio.registries import audit

    audit.register_actions(
        {
            "waiver.signed": _("Waiver signed"),
            "waiver.link_sent": _("Waiver signing link sent"),
        }
    )

    def _method(value, ctx) -> str:
        from waivers.models import SignMethod

        labels = dict(SignMethod.choices)
        return str(labels[value]) if value in labels else audit.plain(value, ctx)

    audit.register_fields(
        {
            "version_number": audit.Field(_("Version")),
            "sign_method": audit.Field(_("How it was signed"), _method),
            "signed_for": audit.Field(_("Signed for")),
            "sent_to": audit.Field(_("Sent to")),
        }
    )


def _records() -> None:  # wrec: client-profile panel, documents, confirmation email
    # Mail templates register when their module is imported: the web needs them too (outbox).
    import waivers.emails.signed  # noqa: F401
    from studio.registries import profile_panels
    from waivers import panels

    profile_panels.register_profile_panel(panels.WAIVERS_PANEL)
    profile_panels.register_account_panel(panels.account_waivers_panel)


def _requirements() -> None:  # wreq: booking check, audit of requirements
    from django.utils.translation import gettext_lazy as _lazy

    from studio.registries import audit

    # The booking check itself is registered by memberships (memberships.registrations
    # _waiver_sales): waivers may import only studio, memberships may import both apps.
    audit.register_actions({"waiver.requirements_set": _lazy("Where a waiver is required changed")})
    audit.register_fields(
        {
            "required_everywhere": audit.Field(_lazy("Required everywhere")),
            "required_plans": audit.Field(_lazy("Required for plans")),
            "required_classes": audit.Field(_lazy("Required for classes")),
            "required_services": audit.Field(_lazy("Required for appointment services")),
        }
    )
