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
    from django.utils.translation import pgettext_lazy

    from memberships.forms.policy import FREQUENCY_CHOICES, TRIGGER_CHOICES
    from memberships.models import CreditReturn, PenaltyWindow, RulesMatch
    from studio import checklist, navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    def policy_step_done(studio) -> bool:
        from memberships.models import PolicySettings

        return PolicySettings.objects.filter(studio=studio, saved_at__isnull=False).exists()

    checklist.CHECKS["policy"] = policy_step_done
    # Settings > Cancellation policy, where the seed's owners look for it.
    navigation.add_settings_tab(
        NavEntry(
            _("Cancellation policy"),
            "cancellation-policy",
            perm=Perm.MANAGE_SETTINGS,
            settings_tab="cancellation-policy",
        )
    )
    audit.register_actions(
        {
            "policy.settings_saved": _("Cancellation policy saved"),
            "penalty_rule.created": _("Penalty rule created"),
            "penalty_rule.changed": _("Penalty rule changed"),
            "penalty_rule.archived": _("Penalty rule archived"),
            "penalty_rules.reordered": _("Penalty rules reordered"),
        }
    )

    def _label(choices):
        labels = dict(choices)
        return lambda value, ctx: str(labels.get(value, value)) if value else audit.plain(value, ctx)

    def _plans(value, ctx):
        from memberships.models import Plan

        if not isinstance(value, list):
            return audit.plain(value, ctx)
        if not value:
            return str(_("Everyone"))
        names = []
        for pk in value:
            plan = ctx.lookups.get(Plan, pk)
            names.append(plan.name if plan is not None else str(_("a deleted plan")))
        return ", ".join(names)

    audit.register_fields(
        {
            "class_credit_return": audit.Field(
                _("When a client cancels a class"), _label(CreditReturn.choices)
            ),
            "class_cutoff_hours": audit.Field(_("Cancellation credit cut-off for classes (hours)")),
            "appointment_credit_return": audit.Field(
                _("When a client cancels an appointment"), _label(CreditReturn.choices)
            ),
            "appointment_cutoff_hours": audit.Field(
                _("Cancellation credit cut-off for appointments (hours)")
            ),
            "rules_match": audit.Field(_("When several rules match"), _label(RulesMatch.choices)),
            "grace_hours": audit.Field(_("Grace delay before a fee is charged (hours)")),
            "trigger": audit.Field(_("The fee is for"), _label(TRIGGER_CHOICES)),
            "all_plans": audit.Field(_("Everyone")),
            "frequency": audit.Field(pgettext_lazy("penalty rule", "When"), _label(FREQUENCY_CHOICES)),
            "count": audit.Field(_("Number of times")),
            "window_unit": audit.Field(_("Counted over"), _label(PenaltyWindow.choices)),
            "window_length": audit.Field(_("How many days, weeks or months")),
            "fee_amount": audit.Field(_("Fee"), audit.money),
            "plans": audit.Field(_("Plans"), _plans),
            "order": audit.Field(_("Order")),
        }
    )


def _policy_charges() -> None:  # pcharge: signal receivers, source kind "penalty", beat, panels, audit
    import memberships.emails.penalties  # noqa: F401 - registers "memberships/penalty_fee"
    from memberships import penalty_panels
    from memberships.services import penalties
    from payments.services.sources import source_kind_register
    from scheduling import signals
    from studio import beat, navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit, profile_panels

    source_kind_register(penalties.SOURCE_KIND, on_outcome=penalties.penalty_on_payment_outcome)
    # Receivers only enqueue (scheduling/signals.py): the fee is assessed in the worker.
    for signal, receiver in (
        (signals.booking_late_cancelled, penalties.on_booking_penalty_event),
        (signals.booking_no_show, penalties.on_booking_penalty_event),
        (signals.appointment_late_cancelled, penalties.on_appointment_penalty_event),
        (signals.appointment_no_show, penalties.on_appointment_penalty_event),
        (signals.attendance_corrected, penalties.on_attendance_corrected),
    ):
        signal.connect(receiver, weak=False, dispatch_uid=f"memberships.penalties.{id(signal)}")
    # Every five minutes: fees whose grace delay is over are charged (each studio by itself).
    beat.register(
        "memberships-charge-penalties", task="memberships.charge_penalties_all_studios", schedule=300.0
    )
    navigation.add_manage(NavEntry(_("Fees"), "penalty-list", perm=Perm.MANAGE_MEMBERSHIPS, order=22))
    navigation.add_manage(
        NavEntry(_("Late cancels and no-shows"), "penalty-report", perm=Perm.VIEW_REPORTS, order=56)
    )
    profile_panels.register_profile_panel(penalty_panels.PENALTIES_PANEL)
    profile_panels.register_account_panel(penalty_panels.account_owed_panel)
    audit.register_actions(
        {
            "penalty.assessed": _("Penalty fee assessed"),
            "penalty.charged": _("Penalty fee charged"),
            "penalty.charge_failed": _("Penalty fee could not be charged"),
            "penalty.waived": _("Penalty fee waived"),
            "penalty.retried": _("Penalty fee charged again"),
            "penalty.reversed": _("Penalty fee reversed (attendance corrected)"),
            "penalty.paid": _("Penalty fee paid"),
            "penalty.refunded_unowed": _("Payment refunded: it arrived for a fee no longer owed"),
        }
    )
    audit.register_fields(
        {
            "due_at": audit.Field(_("Charged from")),
            "waive_reason": audit.Field(_("Reason for waiving")),
            "refund": audit.Field(_("Refund"), lambda value, ctx: _("Refund #%(id)s") % {"id": value}),
        }
    )


def _policy_cancel() -> None:  # pcancel: the cancel-outcome describer for scheduling's cancel pages
    from memberships.services.cancel_policy import cancel_describe
    from scheduling.services import cancel_outcome_register

    # Every cancel page says, before confirming, what the policy gives back (POL-1).
    cancel_outcome_register("memberships.cancel_policy", cancel_describe)


# --- waivers required to buy a plan (issue 13) ----------------------------------------------


def _waiver_sales() -> None:  # wreq: "plan" requirement targets for waivers, the booking check
    from scheduling.services import booking_check_register
    from studio.registries import requirement_targets
    from waivers.selectors.blocking import CHECK_KEY, booking_waivers_check

    # Booking a class or an appointment waits for the waivers it requires (WAI-5). Registered
    # here because waivers may import only studio; memberships may import scheduling and waivers.
    booking_check_register(CHECK_KEY, booking_waivers_check)

    def plans(studio) -> list[tuple[int, str]]:
        from memberships.models import Plan

        return list(
            Plan.objects.filter(studio=studio, archived_at__isnull=True)
            .order_by("name")
            .values_list("pk", "name")
        )

    # membership_sell asks waivers which membership waivers the plan requires (sales.py).
    requirement_targets.register_requirement_target(
        "plan", label=_("Membership plans"), choices=plans, order=10
    )
