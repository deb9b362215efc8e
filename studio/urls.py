from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from studio.notifications import views as notification_views
from studio.views import auth, health

urlpatterns = [
    path("", auth.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth.StaffLoginView.as_view(), name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("signup/", auth.signup, name="signup"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("i18n/setlang/", auth.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("outbox/", notification_views.platform_outbox, name="platform-outbox"),
    path(
        "outbox/<str:kind>/<int:pk>/",
        notification_views.platform_outbox_detail,
        name="platform-outbox-detail",
    ),
    path("webhooks/", include("payments.urls_webhooks")),
    path("<slug:studio_slug>/", include("studio.urls_tenant")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler403 = "studio.views.errors.permission_denied"
handler404 = "studio.views.errors.not_found"
handler500 = "studio.views.errors.server_error"
