"""Staff, roles and invitations (CORE-3)."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from studio import selectors, services
from studio.access import staff_required
from studio.forms import InviteStaffForm, PersonSignupForm, RoleForm, StaffEditForm
from studio.models import Invitation, Role, StaffMember
from studio.permissions import Perm, RoleKind


def _can_grant_owner(request) -> bool:
    return request.staff.role.kind == RoleKind.OWNER


@staff_required(Perm.MANAGE_STAFF)
def staff_list(request):
    members = selectors.staff_list(studio=request.studio)
    invitations = selectors.pending_invitations(studio=request.studio)
    return render(request, "studio/staff_list.html", {"members": members, "invitations": invitations})


@staff_required(Perm.MANAGE_STAFF)
def staff_invite(request):
    form = InviteStaffForm(
        request.POST or None, studio=request.studio, can_grant_owner=_can_grant_owner(request)
    )
    if request.method == "POST" and form.is_valid():
        # Inviting an email that already has an open invitation refreshes that one: say so,
        # or the person thinks two invitations are out and the first link still works.
        already_invited = (
            selectors.pending_invitations(studio=request.studio)
            .filter(email__iexact=form.cleaned_data["email"].strip())
            .exists()
        )
        try:
            invitation = services.staff_invite(
                studio=request.studio,
                actor=services.Actor.from_request(request),
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if already_invited:
                message = _(
                    "%(email)s already had an invitation: it was sent again with the new role, "
                    "and the link in the earlier email no longer works."
                )
            else:
                message = _("Invitation sent to %(email)s.")
            messages.success(request, message % {"email": invitation.email})
            return redirect("staff-list", studio_slug=request.studio.slug)
    return render(request, "studio/staff_invite.html", {"form": form})


@staff_required(Perm.MANAGE_STAFF)
def staff_edit(request, pk):
    member = get_object_or_404(StaffMember.objects.select_related("user", "role"), pk=pk)
    can_grant_owner = _can_grant_owner(request)
    if member.role.kind == RoleKind.OWNER and not can_grant_owner:
        messages.error(request, _("Only an owner can change another owner."))
        return redirect("staff-list", studio_slug=request.studio.slug)
    original_role, original_active = member.role, member.is_active
    form = StaffEditForm(
        request.POST or None, instance=member, studio=request.studio, can_grant_owner=can_grant_owner
    )
    if request.method == "POST" and form.is_valid():
        actor = services.Actor.from_request(request)
        new_role, new_active = form.cleaned_data["role"], form.cleaned_data["is_active"]
        # The services own the rules (last owner); restore the instance before handing it over.
        member.role, member.is_active = original_role, original_active
        try:
            services.staff_update(
                studio=request.studio,
                actor=actor,
                member=member,
                display_name=form.cleaned_data["display_name"],
                role=new_role,
                active=new_active,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Staff member updated."))
            return redirect("staff-list", studio_slug=request.studio.slug)
    return render(request, "studio/staff_edit.html", {"form": form, "member": member})


@staff_required(Perm.MANAGE_STAFF)
def role_list(request):
    roles = selectors.role_list(studio=request.studio)
    return render(request, "studio/role_list.html", {"roles": roles, "all_perms": Perm.choices})


def _role_form(request, role: Role | None):
    form = RoleForm(request.POST or None, instance=role, studio=request.studio)
    if role is not None and role.is_all_powerful:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.role_save(
                studio=request.studio,
                actor=services.Actor.from_request(request),
                role=form.save(commit=False),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Role “%(name)s” saved.") % {"name": saved.display_name})
            return redirect("role-list", studio_slug=request.studio.slug)
    return render(request, "studio/role_form.html", {"form": form, "role": role})


@staff_required(Perm.MANAGE_STAFF)
def role_create(request):
    return _role_form(request, None)


@staff_required(Perm.MANAGE_STAFF)
def role_edit(request, pk):
    return _role_form(request, get_object_or_404(Role, pk=pk))


@staff_required(Perm.MANAGE_STAFF)
def invitation_resend(request, pk):
    """Confirm, then send an open invitation again with a new link."""
    return _invitation_action(request, pk, action="resend")


@staff_required(Perm.MANAGE_STAFF)
def invitation_revoke(request, pk):
    """Confirm, then withdraw an open invitation."""
    return _invitation_action(request, pk, action="revoke")


def _invitation_action(request, pk, *, action: str):
    invitation = get_object_or_404(
        Invitation.objects.select_related("role"), pk=pk, accepted_at__isnull=True, revoked_at__isnull=True
    )
    if request.method == "POST":
        service = services.invitation_resend if action == "resend" else services.invitation_revoke
        try:
            service(studio=request.studio, actor=services.Actor.from_request(request), invitation=invitation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if action == "resend":
                messages.success(
                    request, _("Invitation sent again to %(email)s.") % {"email": invitation.email}
                )
            else:
                messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
        return redirect("staff-list", studio_slug=request.studio.slug)
    return render(request, "studio/invitation_confirm.html", {"invitation": invitation, "action": action})


def invitation_accept(request, token):
    """The link in an invitation email: sign in (or create a login), then join the staff."""
    invitation = Invitation.objects.select_related("role").filter(token=token).first()
    if invitation is None:
        # A link replaced by a newer email, or never valid: still a person holding an email,
        # so say what happened rather than show a bare "not found".
        return render(request, "studio/invitation_invalid.html", status=404)
    if not invitation.is_usable:
        return render(request, "studio/invitation_invalid.html", status=410)
    signup_form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(studio=request.studio, invitation=invitation, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("home")
            messages.success(request, _("Welcome to %(studio)s.") % {"studio": request.studio.name})
            return redirect("dashboard", studio_slug=request.studio.slug)
    else:
        signup_form = PersonSignupForm(request.POST or None, initial={"email": invitation.email})
        if request.method == "POST" and signup_form.is_valid():
            data = signup_form.cleaned_data
            try:
                user, _member = services.invitation_accept_with_signup(
                    studio=request.studio,
                    invitation=invitation,
                    email=data["email"],
                    password=data["password"],
                    full_name=f"{data['first_name']} {data['last_name']}",
                    language=request.LANGUAGE_CODE[:2],
                )
            except ValidationError:
                return render(request, "studio/invitation_invalid.html", status=410)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(studio)s.") % {"studio": request.studio.name})
            return redirect("dashboard", studio_slug=request.studio.slug)
    return render(request, "studio/invitation_accept.html", {"invitation": invitation, "form": signup_form})
