from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.permissions import ALL_PERMISSIONS, ALL_POWERFUL_KINDS, Perm, RoleKind
from studio.tenancy import TenantModel


class Role(TenantModel):
    """A named set of permissions. Built-in roles exist in every studio; custom ones are added."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=RoleKind.choices, default=RoleKind.CUSTOM)
    permissions = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, verbose_name=_("permissions")
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "name"], name="role_name_unique_per_studio"),
            models.UniqueConstraint(
                fields=["studio", "kind"],
                condition=~models.Q(kind=RoleKind.CUSTOM),
                name="one_builtin_role_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind != RoleKind.CUSTOM:
            return str(RoleKind(self.kind).label)
        return self.name

    @property
    def is_all_powerful(self) -> bool:
        return self.kind in ALL_POWERFUL_KINDS

    @property
    def permission_labels(self) -> list[str]:
        return [str(Perm(p).label) for p in Perm.values if p in self.permissions]

    @property
    def effective_permissions(self) -> frozenset[str]:
        if self.is_all_powerful:
            return ALL_PERMISSIONS
        return frozenset(self.permissions)


class StaffMember(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_memberships"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="members", verbose_name=_("role"))
    display_name = models.CharField(_("name shown to clients"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "user"], name="one_staff_membership_per_studio")
        ]

    def __str__(self) -> str:
        return self.display_name or str(self.user)

    def has_perm(self, perm: str) -> bool:
        return self.is_active and perm in self.role.effective_permissions


class Invitation(TenantModel):
    email = models.EmailField(_("email"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+", verbose_name=_("role"))
    token = models.CharField(max_length=64)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "token"], name="invitation_token_unique"),
            # One open invitation per person: inviting again refreshes it (services.staff_invite).
            models.UniqueConstraint(
                fields=["studio", "email"],
                name="invitation_one_open_per_email",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may have lapsed: it can then be resent)."""
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.is_open and not self.is_expired
