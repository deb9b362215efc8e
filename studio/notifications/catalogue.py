"""The core's own mail templates. Apps register theirs in their own modules."""

from django.utils.translation import gettext_lazy as _

from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.permissions import Perm


def _role(context: dict) -> str:
    invitation = context.get("invitation")
    return invitation.role.display_name if invitation is not None and invitation.role_id else ""


INVITATION = register(
    MailTemplate(
        name="studio/invitation",
        label=_("Staff invitation"),
        files="studio/email/invitation",
        variables=("invitation", "url"),
        reveal_perm=Perm.MANAGE_STAFF,
        placeholders=(
            ph.link("link", _("Invitation link (works for 7 days)"), key="url"),
            ph.Placeholder(name="role", label=_("Role offered"), read=_role, sample=_("Teacher")),
        ),
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
        # Platform mail (a login is global): no studio's to edit; declared for the same API.
        studio_editable=False,
        placeholders=(
            ph.link("link", _("Password reset link"), key="url"),
            ph.value("email", _("Email address"), key="email", sample="camille@example.test"),
        ),
    )
)
