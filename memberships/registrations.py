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
    _audit_settings()
    _policy_rules()  # prule
    _policy_charges()  # pcharge
    _policy_cancel()  # pcancel
    _waiver_sales()  # wreq


def _navigation() -> None:
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm

    navigation.add_manage(NavEntry(_("Memberships"), "plan-list", perm=Perm.MANAGE_MEMBERSHIPS, order=20))


def _checklist() -> None:  # plans (H1)
    from studio import checklist

    def memberships_step_done(studio) -> bool:
        # Any plan counts, archived too: the studio has been through the step.
        from memberships.models import Plan

        return Plan.objects.filter(studio=studio).exists()

    checklist.CHECKS["memberships"] = memberships_step_done


def _sale_sources() -> None:  # selling (H2)
    from memberships.services.sales import SOURCE_KIND, membership_sale_outcome
    from payments.services.sources import source_kind_register

    source_kind_register(SOURCE_KIND, on_outcome=membership_sale_outcome)
    from studio import beat

    # A card sale whose process died between the membership and its payment is removed.
    beat.register(
        "memberships-sweep-orphan-sales", task="memberships.sweep_orphan_sales_all_studios", schedule=900.0
    )


def _renewal_sources() -> None:  # renewal engine (H4)
    from memberships.services.renewals import SOURCE_KIND, renewal_on_payment_outcome
    from payments.services.sources import source_kind_register

    source_kind_register(SOURCE_KIND, on_outcome=renewal_on_payment_outcome)


def _booking_payers() -> None:  # entitlements (H3)
    from memberships.services import entitlements
    from scheduling import signals
    from scheduling.services import booking_payer_register

    # Bookings of priced classes (and covered appointments) are paid with a membership or pack.
    booking_payer_register(entitlements.PAYER_KEY, entitlements.booking_payer)
    # Cancels give credits back, from the worker: the receivers only enqueue.
    for signal, receiver in (
        (signals.booking_cancelled, entitlements.on_booking_cancelled),
        (signals.session_cancelled, entitlements.on_session_cancelled),
        (signals.waitlist_expired, entitlements.on_waitlist_expired),
        (signals.appointment_cancelled, entitlements.on_appointment_cancelled),
    ):
        signal.connect(receiver, weak=False, dispatch_uid=f"memberships.credits.{receiver.__name__}")
    # Hourly, the net under those events: a return lost with the broker still happens.
    from studio import beat

    beat.register(
        "memberships-return-credits", task="memberships.return_lost_credits_all_studios", schedule=3600.0
    )


def _beat() -> None:  # renewal engine (H4)
    from studio import beat

    # Every 15 minutes: each studio's run compares with its own local date and renewal hour, so
    # studios in every zone renew at their night's hour and a DST change moves nothing.
    beat.register("memberships-run-renewals", task="memberships.run_renewals_all_studios", schedule=900.0)


def _beat_methods() -> None:  # lifecycle / payment methods (H6)
    from studio import beat

    # Hourly, each studio by its own calendar: pauses start and end within the hour after local
    # midnight, and "your card expires before the renewal" goes out a week ahead, once per card
    # and renewal (reruns send nothing new).
    beat.register(
        "memberships-lifecycle-daily", task="memberships.lifecycle_daily_all_studios", schedule=3600.0
    )


def _profile_panels() -> None:  # selling (H2)
    from memberships import panels
    from studio.registries import profile_panels

    profile_panels.register_profile_panel(panels.MEMBERSHIPS_PANEL)
    profile_panels.register_account_panel(panels.account_memberships_panel)


def _emails() -> None:
    # Mail templates register when their modules are imported: the web needs them too (outbox).
    import memberships.emails  # noqa: F401


def _audit_plans() -> None:  # H1
    from studio.registries import audit

    audit.register_actions(
        {
            "plan.created": _("Membership plan created"),
            "plan.changed": _("Membership plan changed"),
            "plan.archived": _("Membership plan archived"),
            "plan.restored": _("Membership plan restored"),
        }
    )
    audit.register_fields(
        {
            "class_templates": audit.Field(_("Classes it pays for")),
            "services": audit.Field(_("Appointment types")),
            "locations": audit.Field(_("Locations")),
            "price_amount": audit.Field(_("Price"), audit.money),
            "signup_fee_amount": audit.Field(_("Sign-up fee"), audit.money),
        }
    )


def _audit_sales() -> None:  # H2
    from studio.registries import audit

    audit.register_actions(
        {
            "membership.sold": _("Membership sold"),
            "membership.sale_declined": _("Membership sale refused by the bank"),
        }
    )
    audit.register_fields(
        {
            "plan": audit.Field(_("Plan")),
            "code": audit.Field(_("Reason code")),
        }
    )


def _audit_renewals() -> None:  # H4
    from studio.registries import audit

    audit.register_actions(
        {
            "memberships.renewal_succeeded": _("Membership renewed"),
            "memberships.renewal_failed": _("Membership renewal failed"),
            "memberships.renewal_retry_now": _("Membership renewal retried now"),
            "memberships.cancelled_at_period_end": _("Membership ended at the end of its period"),
            "memberships.plan_changed_at_renewal": _("Membership plan changed at renewal"),
        }
    )
    audit.register_fields(
        {
            "period": audit.Field(_("Period from")),
            "attempt": audit.Field(_("Attempt")),
            "attempts": audit.Field(_("Attempts")),
            "code": audit.Field(_("Reason code")),
            "final": audit.Field(_("Last attempt")),
            "ends_on": audit.Field(_("Ends")),
        }
    )


def _audit_lifecycle() -> None:  # H6
    from memberships.models import Proration
    from memberships.services.lifecycle import WHEN_NOW, WHEN_PERIOD_END
    from studio.registries import audit

    audit.register_actions(
        {
            "membership.paused": _("Membership paused"),
            "membership.pause_started": _("Membership pause started"),
            "membership.pause_ended": _("Membership pause ended"),
            "membership.resumed": _("Membership pause ended early"),
            "membership.pause_called_off": _("Membership pause called off"),
            "membership.cancel_scheduled": _("Membership set to end at the end of its period"),
            "membership.cancel_undone": _("Membership renews again"),
            "membership.cancelled": _("Membership cancelled"),
            "membership.plan_change_scheduled": _("Membership plan change planned"),
            "membership.plan_change_cancelled": _("Membership plan change called off"),
        }
    )
    when_labels = {WHEN_PERIOD_END: _("At the end of the period"), WHEN_NOW: _("Now")}
    proration_labels = dict(Proration.choices)

    def _label(labels):
        return lambda value, ctx: str(labels.get(value, value)) if value else audit.plain(value, ctx)

    audit.register_fields(
        {
            "paused_from": audit.Field(_("Paused from")),
            "paused_until": audit.Field(_("Back on")),
            "next_renewal_on": audit.Field(_("Next renewal")),
            "ends_on": audit.Field(_("Ends")),
            "when": audit.Field(_("When"), _label(when_labels)),
            "proration": audit.Field(_("Unused days"), _label(proration_labels)),
            "commitment_waived": audit.Field(_("Minimum commitment waived (until)")),
            "next_plan": audit.Field(_("Plan from the next renewal")),
        }
    )


def _home_change() -> None:  # H6
    from studio.registries import home_change

    def warn(client, new_location) -> list[str]:
        from memberships.services.methods import home_change_warnings

        return home_change_warnings(client, new_location)

    def changed(client, old_location_id) -> None:
        # Only enqueue: the task runs after the change commits, in the worker (mail, reads).
        from studio.tasking import enqueue_by_name

        enqueue_by_name("memberships.home_changed", client.studio_id, client.pk)

    home_change.register_home_change_check(warn)
    home_change.register_home_changed(changed)


def _audit_settings() -> None:  # renewals page and settings (H7)
    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    # The renewals page has its own menu entry: staff open it on the mornings after a run.
    navigation.add_manage(NavEntry(_("Renewals"), "renewal-list", perm=Perm.MANAGE_MEMBERSHIPS, order=21))
    audit.register_actions({"memberships.settings_updated": _("Membership settings changed")})


# --- cancellation policy and penalties (issue 16) -------------------------------------------


def _policy_rules() -> None:  # prule: checklist step "policy", navigation, audit of policy/rules
    pass


def _policy_charges() -> None:  # pcharge: signal receivers, source kind "penalty", beat, panels, audit
    pass


def _policy_cancel() -> None:  # pcancel: the cancel-outcome describer for scheduling's cancel pages
    pass


# --- waivers required to buy a plan (issue 13) ----------------------------------------------


def _waiver_sales() -> None:  # wreq: "plan" requirement targets for waivers
    pass
