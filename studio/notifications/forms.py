"""Django's password-reset form, sending through `notification_send` like every other mail; the
editor's form of a studio's own version of a mail template."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from studio.inputs import SafeCharField
from studio.notifications import overrides, services


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


class MailTemplateForm(forms.Form):
    """Subject and body of a studio's own version of a mail template (restricted format, checked
    by `overrides.override_check` when saved or previewed)."""

    subject = SafeCharField(label=_("Subject"), max_length=overrides.SUBJECT_MAX_LENGTH)
    body = SafeCharField(
        label=_("Message"),
        max_length=overrides.BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "mail-body", "spellcheck": "true"}),
        help_text=_(
            "Plain text: a blank line starts a paragraph. Put a value in with its placeholder, e.g. "
            '{client_first_name}. Bold <b>…</b>, italics <i>…</i>, links <a href="…">…</a> and '
            "lists <ul><li>…</li></ul> may be used; nothing else."
        ),
    )
