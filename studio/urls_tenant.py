"""Every URL under `/<studio_slug>/`. Each app adds its own patterns here."""

from django.urls import include, path

from studio.documents import views as document_views
from studio.notifications import views as notification_views
from studio.views import account, audit, clients, dashboard, locations, settings, staff

urlpatterns = [
    # Hosted pages (clients). The public home, plans and shop (checkout's) come first: "/<slug>/"
    # is the most asked-for page, and each include tried before a match costs a failed walk.
    path("", include("checkout.urls.public")),
    path("account/", account.account_home, name="account-home"),
    path("account/login/", account.account_login, name="account-login"),
    path("account/signup/", account.account_signup, name="account-signup"),
    path("account/logout/", account.account_logout, name="account-logout"),
    path("invite/<str:token>/", staff.invitation_accept, name="invitation-accept"),
    # Back office (staff)
    path("manage/", dashboard.dashboard, name="dashboard"),
    path("manage/settings/", settings.studio_settings, name="settings"),
    path("manage/settings/branding/", settings.branding, name="settings-branding"),
    path("manage/locations/", locations.location_list, name="location-list"),
    path("manage/locations/new/", locations.location_create, name="location-create"),
    path("manage/locations/<int:pk>/", locations.location_detail, name="location-detail"),
    path("manage/locations/<int:pk>/edit/", locations.location_edit, name="location-edit"),
    path("manage/locations/<int:pk>/archive/", locations.location_archive, name="location-archive"),
    path("manage/locations/<int:pk>/rooms/new/", locations.room_create, name="room-create"),
    path("manage/rooms/<int:pk>/edit/", locations.room_edit, name="room-edit"),
    path("manage/rooms/<int:pk>/archive/", locations.room_archive, name="room-archive"),
    path("manage/staff/", staff.staff_list, name="staff-list"),
    path("manage/staff/invite/", staff.staff_invite, name="staff-invite"),
    path("manage/staff/<int:pk>/", staff.staff_edit, name="staff-edit"),
    path("manage/staff/invitations/<int:pk>/resend/", staff.invitation_resend, name="invitation-resend"),
    path("manage/staff/invitations/<int:pk>/revoke/", staff.invitation_revoke, name="invitation-revoke"),
    path("manage/roles/", staff.role_list, name="role-list"),
    path("manage/roles/new/", staff.role_create, name="role-create"),
    path("manage/roles/<int:pk>/", staff.role_edit, name="role-edit"),
    path("manage/clients/", clients.client_list, name="client-list"),
    path("manage/clients/new/", clients.client_create, name="client-create"),
    path("manage/clients/<int:pk>/", clients.client_detail, name="client-detail"),
    path("manage/clients/<int:pk>/edit/", clients.client_edit, name="client-edit"),
    path("manage/clients/<int:pk>/family/", clients.family_add, name="client-family-add"),
    path(
        "manage/clients/<int:pk>/family/<int:link_pk>/remove/",
        clients.family_remove,
        name="client-family-remove",
    ),
    path("manage/audit/", audit.audit_log, name="audit-log"),
    path("manage/settings/emails/", notification_views.mail_template_list, name="mail-template-list"),
    path("manage/settings/emails/new/", notification_views.mail_template_new, name="mail-template-new"),
    path(
        "manage/settings/emails/preview/",
        notification_views.mail_template_preview,
        name="mail-template-preview",
    ),
    path(
        "manage/settings/emails/<int:pk>/", notification_views.mail_template_edit, name="mail-template-edit"
    ),
    path(
        "manage/settings/emails/<int:pk>/reset/",
        notification_views.mail_template_reset,
        name="mail-template-reset",
    ),
    path("manage/messages/", notification_views.message_list, name="message-list"),
    path("manage/messages/<int:pk>/", notification_views.message_detail, name="message-detail"),
    path("manage/documents/<int:pk>/", document_views.document_download, name="document-download"),
    # Apps
    path("", include("scheduling.urls")),
    path("", include("payments.urls")),
    path("", include("memberships.urls")),
    path("", include("waivers.urls")),
    path("", include("pos.urls")),
    path("", include("checkout.urls")),
]
