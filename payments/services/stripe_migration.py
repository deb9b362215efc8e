"""Moving clients' saved methods from an old Stripe account to a new one (PAY-10, seed 000).

Stripe's "copy customers" copies every customer to the new account with the *same* id and gives
each payment method a *new* id, listed in a mapping file. Importing that file re-points what we
know (our saved methods, our customers) to the new account, or adds the methods we did not know.

One planner serves the dry run and the apply, so what the dry run shows is what apply does. The
apply runs in the worker, row by row: Stripe reads happen outside any transaction, each row's
writes in a short one, and progress is saved every chunk. Applying twice changes nothing the
second time (every row is then `already_done`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.models import (
    MAX_SAVED_METHODS,
    ConnectedAccount,
    MigrationImport,
    SavedPaymentMethod,
    StripeCustomer,
)
from studio.models import Client, Studio
from studio.services import Actor, audit_record

MAX_FILE_BYTES = 20 * 1024 * 1024
CHUNK = 200

#: Our field → the column names Stripe's mapping files use for it (compared case-insensitively).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "old_customer": ("customer_id_old", "old_customer_id", "customer_id", "customer", "old_customer"),
    "new_customer": ("customer_id_new", "new_customer_id", "new_customer"),
    "old_method": ("source_id_old", "old_source_id", "payment_method_id_old", "old_payment_method_id",
                   "source_id", "old_payment_method"),
    "new_method": ("source_id_new", "new_source_id", "payment_method_id_new", "new_payment_method_id",
                   "new_payment_method"),
}
REQUIRED = ("old_customer", "old_method", "new_method")
METHOD_PREFIXES = ("pm_", "card_", "src_", "ba_")


class Outcome:
    REPOINT = "repoint"
    ADD = "add"
    ALREADY_DONE = "already_done"
    NO_CLIENT = "no_client"
    MALFORMED = "malformed"
    DUPLICATE = "duplicate_row"
    CONFLICT = "conflict"
    FAILED = "failed"

    LABELS = {
        "repoint": "re-pointed to the new account", "add": "added on the new account",
        "already_done": "already done", "no_client": "no matching client", "malformed": "malformed row",
        "duplicate_row": "duplicate row", "conflict": "conflict", "failed": "failed",
    }


def column_mapping(header: list[str]) -> dict[str, str]:
    """Match the file's header to our fields; a clear error names what is missing."""
    by_lower = {name.strip().lower(): name for name in header}
    mapping = {}
    for ours, aliases in COLUMN_ALIASES.items():
        found = next((by_lower[a] for a in aliases if a in by_lower), None)
        if found:
            mapping[ours] = found
    missing = [ours for ours in REQUIRED if ours not in mapping]
    if missing:
        wanted = "; ".join(f"{ours}: {' / '.join(COLUMN_ALIASES[ours])}" for ours in missing)
        raise ValidationError(_("The file lacks these columns — %(wanted)s. Columns found: %(found)s.")
                              % {"wanted": wanted, "found": ", ".join(header) or _("none")})
    return mapping


def migration_upload(*, studio: Studio, actor: Actor, target_account: ConnectedAccount, file_name: str,
                     data: bytes) -> MigrationImport:
    """Store the mapping file after checking it is readable and has the columns we need."""
    from payments.services.saved_methods import saved_methods_enabled

    if not saved_methods_enabled(studio=studio):
        raise ValidationError(_("Turn on saved payment methods first (Settings › Saved payment methods)."))
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 20 MB."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text (export it as CSV from Stripe).")) from exc
    header = next(csv.reader(io.StringIO(text)), [])
    mapping = column_mapping(header)
    if not target_account.can_charge:
        raise ValidationError(_("Choose an account that can take payments."))
    total = max(sum(1 for _row in csv.reader(io.StringIO(text))) - 1, 0)
    with transaction.atomic():
        migration = MigrationImport.objects.create(studio=studio, target_account=target_account,
                                                   file_name=file_name[:200], content=text, columns=mapping,
                                                   progress_total=total, created_by=actor.user)
        audit_record(studio=studio, actor=actor, action="payments.migration_uploaded", obj=migration,
                     changes={"rows": total, "account": str(target_account)})
    return migration


def _rows(migration: MigrationImport) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(migration.content))
    for line, raw in enumerate(reader, start=2):
        yield line, {ours: (raw.get(column) or "").strip() for ours, column in migration.columns.items()}


@dataclass
class _Run:
    """What a run remembers between rows: matches and what it has planned for each client."""

    studio: Studio
    account: ConnectedAccount
    apply: bool
    client_by_customer: dict[str, Client | None] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    planned: dict[int, int] = field(default_factory=dict)  # client id → methods it will have on the account
    has_default: dict[int, bool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _client_for(run: _Run, customer_id: str) -> Client | None:
    if customer_id in run.client_by_customer:
        return run.client_by_customer[customer_id]
    known = StripeCustomer.objects.filter(studio=run.studio, stripe_customer_id=customer_id).select_related(
        "client").first()
    client = known.client if known else None
    if client is None:
        try:
            remote = gateway.customer_retrieve(account=run.account.stripe_account_id, customer_id=customer_id)
        except gateway.InvalidRequest:
            remote = None
        if remote is not None and remote.email:
            matches = list(Client.objects.filter(studio=run.studio, email__iexact=remote.email,
                                                 archived_at__isnull=True)[:2])
            client = matches[0] if len(matches) == 1 else None
    run.client_by_customer[customer_id] = client
    return client


def _plan(run: _Run, line: int, row: dict[str, str]) -> dict:
    entry = {"line": line, "old_customer": row.get("old_customer", ""), "old_method": row.get("old_method", ""),
             "new_method": row.get("new_method", ""), "client": "", "client_id": None, "outcome": "",
             "detail": "", "default": False}
    customer = row.get("new_customer") or row.get("old_customer", "")
    if not customer.startswith("cus_") or not entry["old_method"].startswith(METHOD_PREFIXES) \
            or not entry["new_method"].startswith(METHOD_PREFIXES):
        return {**entry, "outcome": Outcome.MALFORMED, "detail": _("customer or payment method id missing or "
                                                                   "not a Stripe id")}
    pair = (entry["old_method"], entry["new_method"])
    if pair in run.seen:
        return {**entry, "outcome": Outcome.DUPLICATE}
    run.seen.add(pair)
    client = _client_for(run, customer)
    if client is None:
        return {**entry, "outcome": Outcome.NO_CLIENT,
                "detail": _("no client of the studio has this customer or its email")}
    entry.update(client=f"{client.first_name} {client.last_name}".strip(), client_id=client.pk)
    if SavedPaymentMethod.objects.filter(studio=run.studio, account=run.account,
                                         stripe_payment_method_id=entry["new_method"]).exists():
        return {**entry, "outcome": Outcome.ALREADY_DONE}
    old = SavedPaymentMethod.objects.filter(studio=run.studio, client=client,
                                            stripe_payment_method_id=entry["old_method"]).first()
    if client.pk not in run.planned:
        run.planned[client.pk] = SavedPaymentMethod.objects.filter(client=client).count()
        run.has_default[client.pk] = SavedPaymentMethod.objects.filter(client=client, account=run.account,
                                                                       is_default=True).exists()
    if old is None and run.planned[client.pk] >= MAX_SAVED_METHODS:
        return {**entry, "outcome": Outcome.CONFLICT,
                "detail": _("the client would have more than %(max)s saved methods") % {"max": MAX_SAVED_METHODS}}
    if old is None:
        run.planned[client.pk] += 1
    becomes_default = (old is not None and old.is_default) or not run.has_default[client.pk]
    if becomes_default:
        run.has_default[client.pk] = True
    outcome = Outcome.REPOINT if old is not None else Outcome.ADD
    return {**entry, "outcome": outcome, "default": becomes_default, "_old_pk": old.pk if old else None,
            "_customer": customer}


def _apply_row(run: _Run, entry: dict, actor: Actor) -> dict:
    """Do what the plan says for one row. Stripe reads first, then one short transaction."""
    try:
        pm = gateway.payment_method_retrieve(account=run.account.stripe_account_id,
                                             payment_method_id=entry["new_method"])
    except gateway.InvalidRequest:
        return {**entry, "outcome": Outcome.FAILED, "detail": _("the new payment method is not on the account")}
    details = pm.raw.get(pm.type) or {}
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=entry["client_id"])
        customer, _created = StripeCustomer.objects.get_or_create(
            studio=run.studio, client=client, account=run.account,
            defaults={"stripe_customer_id": entry["_customer"], "idempotency_key": f"migrated:{entry['_customer']}"})
        if not customer.stripe_customer_id:
            customer.stripe_customer_id = entry["_customer"]
            customer.save(update_fields=["stripe_customer_id"])
        if entry["default"]:
            SavedPaymentMethod.objects.filter(client=client, account=run.account, is_default=True).update(
                is_default=False)
        fields = {"account": run.account, "customer": customer, "stripe_payment_method_id": pm.id,
                  "kind": pm.type if pm.type in SavedPaymentMethod.Kind.values else SavedPaymentMethod.Kind.CARD,
                  "brand": (details.get("brand") or "") if pm.type == "card" else "",
                  "bank_name": (details.get("bank_name") or "") if pm.type != "card" else "",
                  "last4": pm.last4 or "", "exp_month": pm.exp_month, "exp_year": pm.exp_year,
                  "account_holder": pm.holder_name or "", "is_default": entry["default"]}
        if entry["_old_pk"]:
            SavedPaymentMethod.objects.filter(pk=entry["_old_pk"]).update(**fields)
        else:
            SavedPaymentMethod.objects.create(studio=run.studio, client=client, source="migration",
                                              created_by=actor.user, **fields)
    return entry


def migration_run(*, migration: MigrationImport, apply: bool, actor: Actor) -> MigrationImport:
    """Dry run (writes nothing but the report) or apply, over every row, with progress."""
    studio = migration.studio
    run = _Run(studio=studio, account=migration.target_account, apply=apply)
    working = MigrationImport.Status.APPLYING if apply else MigrationImport.Status.CHECKING
    MigrationImport.objects.filter(pk=migration.pk).update(status=working, progress_done=0, error="")
    report = []
    done = 0
    for line, row in _rows(migration):
        entry = _plan(run, line, row)
        if apply and entry["outcome"] in (Outcome.ADD, Outcome.REPOINT):
            entry = _apply_row(run, entry, actor)
        entry.pop("_old_pk", None)
        entry.pop("_customer", None)
        run.counts[entry["outcome"]] = run.counts.get(entry["outcome"], 0) + 1
        report.append(entry)
        done += 1
        if done % CHUNK == 0:
            MigrationImport.objects.filter(pk=migration.pk).update(progress_done=done)
    finished = MigrationImport.Status.APPLIED if apply else MigrationImport.Status.CHECKED
    with transaction.atomic():
        MigrationImport.objects.filter(pk=migration.pk).update(
            status=finished, progress_done=done, progress_total=done, summary=run.counts, report=report,
            applied_at=timezone.now() if apply else None)
        if apply:
            audit_record(studio=studio, actor=actor, action="payments.migration_applied", obj=migration,
                         changes=run.counts)
    migration.refresh_from_db()
    return migration


def migration_report_csv(*, migration: MigrationImport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "client", "old_customer", "old_method", "new_method", "outcome", "becomes_default",
                     "detail"])
    for entry in migration.report:
        writer.writerow([entry["line"], entry["client"], entry["old_customer"], entry["old_method"],
                         entry["new_method"], entry["outcome"], "yes" if entry["default"] else "", entry["detail"]])
    return out.getvalue()
