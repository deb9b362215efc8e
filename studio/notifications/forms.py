"""Django's password-reset form, sending through `notification_send` like every other mail."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse

from studio.notifications import services


class NotifiedPasswordResetForm(PasswordResetForm):
    """Django finds the account and makes the token; the platform's mail path sends it.

    A login is global (one person, many studios), so this is platform mail: recorded in
    `PlatformMessage`, written in the person's saved language or else the page's.
    """

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        services.notification_send(
            studio=None,
            recipient=context["user"],
            template="registration/password_reset",
            context={"email": to_email, "url": services.absolute_url(path), "user": context["user"]},
        )
