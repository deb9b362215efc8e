"""The core's own mail templates. Apps register theirs in their own modules."""

from django.utils.translation import gettext_lazy as _

from studio.notifications.registry import MailTemplate, register
from studio.permissions import Perm

INVITATION = register(
    MailTemplate(
        name="studio/invitation",
        label=_("Staff invitation"),
        files="studio/email/invitation",
        variables=("invitation", "url"),
        reveal_perm=Perm.MANAGE_STAFF,
    )
)
PASSWORD_RESET = register(
    MailTemplate(
        name="registration/password_reset",
        label=_("Password reset"),
        subject_file="registration/password_reset_subject.txt",
        text_file="registration/password_reset_email.txt",
        html_file="registration/password_reset_email.html",
        variables=("email", "url", "user"),
        secret=True,
    )
)
