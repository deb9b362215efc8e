from django.urls import path

from memberships.views import account as account_views  # H4
from memberships.views import lifecycle as lifecycle_views  # H6
from memberships.views import memberships as membership_views  # H2
from memberships.views import plans
from memberships.views import renewals as renewal_views  # H7
from memberships.views import settings as settings_views  # H7

urlpatterns = [
    # plans (H1)
    path("manage/memberships/", plans.plan_list, name="plan-list"),
    path("manage/memberships/plans/new/", plans.plan_create, name="plan-create"),
    path("manage/memberships/plans/<int:pk>/", plans.plan_edit, name="plan-edit"),
    path("manage/memberships/plans/<int:pk>/archive/", plans.plan_archive, name="plan-archive"),
    # selling and a client's memberships (H2)
    path(
        "manage/clients/<int:pk>/memberships/sell/",
        membership_views.client_membership_sell,
        name="client-membership-sell",
    ),
    path("manage/memberships/m/<int:pk>/", membership_views.membership_detail, name="membership-detail"),
    # lifecycle: pause, cancel, change (H6)
    path("manage/memberships/m/<int:pk>/pause/", lifecycle_views.membership_pause, name="membership-pause"),
    path(
        "manage/memberships/m/<int:pk>/resume/", lifecycle_views.membership_resume, name="membership-resume"
    ),
    path(
        "manage/memberships/m/<int:pk>/cancel/", lifecycle_views.membership_cancel, name="membership-cancel"
    ),
    path(
        "manage/memberships/m/<int:pk>/cancel/undo/",
        lifecycle_views.membership_cancel_undo,
        name="membership-cancel-undo",
    ),
    path(
        "manage/memberships/m/<int:pk>/change-plan/",
        lifecycle_views.membership_change_plan,
        name="membership-change-plan",
    ),
    path(
        "manage/memberships/m/<int:pk>/change-plan/cancel/",
        lifecycle_views.membership_change_plan_cancel,
        name="membership-change-plan-cancel",
    ),
    # renewals page and settings (H7)
    path("manage/memberships/renewals/", renewal_views.renewal_list, name="renewal-list"),
    path("manage/memberships/renewals/<int:pk>/retry/", renewal_views.renewal_retry, name="renewal-retry"),
    path("manage/memberships/settings/", settings_views.membership_settings, name="membership-settings"),
    # client's account pages: fix a payment, confirm a renewal (H4)
    path(
        "account/memberships/renewals/<int:pk>/",
        account_views.renewal_page,
        name="account-membership-renewal",
    ),
    path(
        "account/memberships/renewals/<int:pk>/pay/",
        account_views.renewal_pay,
        name="account-membership-renewal-pay",
    ),
    path(
        "account/memberships/renewals/<int:pk>/confirm/",
        account_views.renewal_confirm,
        name="account-membership-renewal-confirm",
    ),
    path(
        "account/memberships/renewals/<int:pk>/confirmed/",
        account_views.renewal_confirm_done,
        name="account-membership-renewal-confirmed",
    ),
]

# --- cancellation policy and penalty rules (issue 16) ---
# prule: manage/policy/ (name "cancellation-policy"), rules, live sentence, preview
from memberships.views import policy as policy_views  # noqa: E402

urlpatterns += [
    path("manage/policy/", policy_views.cancellation_policy, name="cancellation-policy"),
    path("manage/policy/rules/new/", policy_views.penalty_rule_create, name="penalty-rule-create"),
    path("manage/policy/rules/<int:pk>/", policy_views.penalty_rule_edit, name="penalty-rule-edit"),
    path(
        "manage/policy/rules/<int:pk>/archive/",
        policy_views.penalty_rule_archive,
        name="penalty-rule-archive",
    ),
    path("manage/policy/rules/sentence/", policy_views.penalty_rule_sentence, name="penalty-rule-sentence"),
    path("manage/policy/rules/preview/", policy_views.penalty_rule_preview, name="penalty-rule-preview"),
    path("manage/policy/rules/order/", policy_views.penalty_rules_reorder, name="penalty-rules-reorder"),
]
# pcharge: penalties list, waive, retry, report + CSV
from memberships.views import penalties as penalty_views  # noqa: E402

urlpatterns += [
    path("manage/policy/penalties/", penalty_views.penalty_list, name="penalty-list"),
    path("manage/policy/penalties/<int:pk>/", penalty_views.penalty_detail_page, name="penalty-detail"),
    path("manage/policy/penalties/<int:pk>/waive/", penalty_views.penalty_waive_page, name="penalty-waive"),
    path("manage/policy/penalties/<int:pk>/retry/", penalty_views.penalty_retry_view, name="penalty-retry"),
    path("manage/reports/penalties/", penalty_views.penalty_report_page, name="penalty-report"),
    path("manage/reports/penalties/csv/", penalty_views.penalty_report_csv, name="penalty-report-csv"),
]
# pcancel: (none expected; cancel pages live in scheduling)
urlpatterns += []
