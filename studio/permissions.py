"""Named staff permissions (SPEC CORE-3) and the built-in roles that bundle them.

A Role stores a list of these codes. Owner and Admin always hold every permission, including
ones added after the role was created, so they are computed rather than stored.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Perm(models.TextChoices):
    MANAGE_SETTINGS = "manage_settings", _("Manage studio settings, locations and rooms")
    MANAGE_STAFF = "manage_staff", _("Manage staff and roles")
    CONNECT_PAYMENTS = "connect_payments", _("Connect payment accounts")
    MANAGE_CLIENTS = "manage_clients", _("Create and edit clients")
    VIEW_CLIENTS = "view_clients", _("View clients")
    SELL_POS = "sell_pos", _("Sell at the point of sale")
    REFUND = "refund", _("Refund payments")
    VIEW_REPORTS = "view_reports", _("View reports")
    RUN_PAYROLL = "run_payroll", _("Run payroll")
    MANAGE_SCHEDULE = "manage_schedule", _("Manage the schedule")
    CHECK_IN = "check_in", _("Book clients and check them in")
    OVERBOOK_CLASSES = "overbook_classes", _("Book clients into a full class (overbook)")
    MANAGE_WAIVERS = "manage_waivers", _("Manage waivers")
    MANAGE_MEMBERSHIPS = "manage_memberships", _("Manage membership plans, renewals and clients' memberships")
    VIEW_AUDIT_LOG = "view_audit_log", _("Read the audit log")
    VIEW_MESSAGES = "view_messages", _("Read the messages sent to clients and staff")
    ADD_SAVED_PAYMENT_METHOD = "add_saved_payment_method", _("Add saved payment method")
    EDIT_SAVED_PAYMENT_METHOD = "edit_saved_payment_method", _("Edit saved payment method")
    USE_SAVED_PAYMENT_METHOD = "use_saved_payment_method", _("Use a client's saved payment method in a sale")
    DISCOUNT_POS = "discount_pos", _("Give discounts at the point of sale")
    MANAGE_PRODUCTS = "manage_products", _("Manage products and stock")
    MANAGE_CARD_READERS = "manage_card_readers", _("Pair and manage card readers")
    BILL_CLIENTS = "bill_clients", _("Bill clients by invoice and payment link")


ALL_PERMISSIONS: frozenset[str] = frozenset(Perm.values)


class RoleKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    FRONT_DESK = "front_desk", _("Front desk")
    TEACHER = "teacher", _("Teacher")
    CUSTOM = "custom", _("Custom")


ALL_POWERFUL_KINDS = frozenset({RoleKind.OWNER, RoleKind.ADMIN})

BUILT_IN_DEFAULTS: dict[str, list[str]] = {
    RoleKind.MANAGER: [
        Perm.MANAGE_CLIENTS,
        Perm.VIEW_CLIENTS,
        Perm.SELL_POS,
        Perm.REFUND,
        Perm.VIEW_REPORTS,
        Perm.MANAGE_SCHEDULE,
        Perm.CHECK_IN,
        Perm.OVERBOOK_CLASSES,
        Perm.MANAGE_WAIVERS,
        Perm.MANAGE_MEMBERSHIPS,
        Perm.ADD_SAVED_PAYMENT_METHOD,
        Perm.EDIT_SAVED_PAYMENT_METHOD,
        Perm.USE_SAVED_PAYMENT_METHOD,
        Perm.VIEW_MESSAGES,
        Perm.DISCOUNT_POS,
        Perm.MANAGE_PRODUCTS,
        Perm.MANAGE_CARD_READERS,
        Perm.BILL_CLIENTS,
    ],
    RoleKind.FRONT_DESK: [
        Perm.MANAGE_CLIENTS,
        Perm.VIEW_CLIENTS,
        Perm.SELL_POS,
        Perm.CHECK_IN,
        Perm.OVERBOOK_CLASSES,
        Perm.ADD_SAVED_PAYMENT_METHOD,
        Perm.USE_SAVED_PAYMENT_METHOD,
        Perm.VIEW_MESSAGES,
        Perm.MANAGE_CARD_READERS,
        Perm.BILL_CLIENTS,
    ],
    RoleKind.TEACHER: [Perm.VIEW_CLIENTS, Perm.CHECK_IN],
}
