"""Importing Stripe's "copy customers" mapping file (PAY-10, seed 000).

Stripe copies customers from an old account to a new one: customer ids stay the same, payment
methods get new ids, and Stripe hands over a CSV mapping old ids to new ones. This module reads
that file and moves each client's saved methods to the new (target) account:

- `migration_upload` checks the file (size, encoding, columns) and stores it;
- `migration_start` queues a dry run or an apply for the worker (`payments.tasks.migration`);
- `migration_dry_run` and `migration_apply` share one row planner (`_Planner`). The dry run
  writes nothing but the report and summary on the `MigrationImport` row; the apply writes
  each chunk of rows in its own short transaction, after the chunk's Stripe reads, so no
  transaction ever spans a Stripe call and the progress bar moves chunk by chunk.

Applying is idempotent: a method whose new id already exists on the new account is
`already_done`, so a second apply (or a retry after a failure) changes nothing more.

Memory stays flat in the file's size: rows are streamed from the stored text, Stripe answers
are reduced to the few fields we keep, and per-client state is a handful of small values.
The report (one small dict per row) is the only thing that grows with the file.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from payments import gateway
from payments.models import ConnectedAccount, MigrationImport
from payments.services.migration_plan import (
    COLUMNS,
    Outcome,
    Planner,
    Superseded,
    chunks,
    column_label,
    entry_method,
    header_of,
    migration_columns,
    read_records,
)
from studio.models import Studio
from studio.services import SYSTEM, Actor, audit_record

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CHUNK_SIZE = 500
STRIPE_READERS = 4  # concurrent Stripe reads per run: Stripe's latency, not our CPU, bounds a real import
STALE_AFTER = timedelta(minutes=5)  # a run whose heartbeat is older may be started again

__all__ = [
    "COLUMNS",
    "MAX_UPLOAD_BYTES",
    "Outcome",
    "entry_method",
    "migration_apply",
    "migration_columns",
    "migration_dry_run",
    "migration_has_work",
    "migration_start",
    "migration_upload",
]

# --- upload -------------------------------------------------------------------------------------


def migration_upload(
    *, studio: Studio, actor: Actor, target_account: ConnectedAccount, file
) -> MigrationImport:
    """Check and store Stripe's mapping file for `target_account`; nothing is planned yet."""
    if target_account.studio_id != studio.pk or not target_account.can_charge:
        raise ValidationError(
            {"target_account": _("Choose one of the studio's accounts that can take payments.")}
        )
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s MB); the most accepted is %(max)s MB.")
                % {"size": round(size / 1024 / 1024, 1), "max": MAX_UPLOAD_BYTES // 1024 // 1024}
            }
        )
    raw = file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too large; the most accepted is %(max)s MB.")
                % {"max": MAX_UPLOAD_BYTES // 1024 // 1024}
            }
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": _("The file is not UTF-8 text. Upload the CSV file exactly as Stripe provided it.")}
        ) from None
    del raw
    if "\x00" in text:
        raise ValidationError({"file": _("The file is not a CSV text file.")})
    header = header_of(text)
    if not any(h.strip() for h in header):
        raise ValidationError({"file": _("The file is empty: the first line should name the columns.")})
    mapping, missing = migration_columns(header)
    if missing:
        expected = "; ".join(
            f"{column_label(c.key)} ({', '.join(c.aliases)})" for c in COLUMNS if c.key in missing
        )
        found = ", ".join(h.strip() for h in header if h.strip()) or _("none")
        raise ValidationError(
            {
                "file": ngettext(
                    "A column is missing: %(expected)s. Columns found: %(found)s.",
                    "Columns are missing: %(expected)s. Columns found: %(found)s.",
                    len(missing),
                )
                % {"expected": expected, "found": found}
            }
        )
    try:
        total = sum(1 for _row in read_records(text))
    except csv.Error as exc:
        raise ValidationError(
            {"file": _("The file could not be read as CSV (%(error)s).") % {"error": exc}}
        ) from None
    if total == 0:
        raise ValidationError({"file": _("The file has column names but no rows.")})
    name = (getattr(file, "name", "") or "mapping.csv").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        migration = MigrationImport.objects.create(
            studio=studio,
            target_account=target_account,
            file_name=name,
            content=text,
            columns=mapping,
            progress_total=total,
            created_by=actor.user,
        )
        audit_record(
            studio=studio,
            actor=actor,
            action="payments.migration_uploaded",
            obj=migration,
            changes={"rows": total, "target_account": str(target_account), "columns": mapping},
        )
    return migration


# --- starting a run ----------------------------------------------------------------------------

DRY_RUN, APPLY = "dry_run", "apply"
RUNNING = (MigrationImport.Status.CHECKING, MigrationImport.Status.APPLYING)


def _is_stale(migration: MigrationImport) -> bool:
    beat = (migration.summary or {}).get("heartbeat")
    if not beat:
        return True
    return timezone.now() - datetime.fromisoformat(beat) > STALE_AFTER


def migration_is_running(migration: MigrationImport) -> bool:
    return migration.status in RUNNING and not _is_stale(migration)


def migration_can_dry_run(migration: MigrationImport) -> bool:
    return not migration_is_running(migration)


def migration_can_apply(migration: MigrationImport) -> bool:
    """Only after a dry run: straight after it, or to resume an apply that failed or stalled."""
    if migration_is_running(migration):
        return False
    phase = (migration.summary or {}).get("phase")
    if migration.status == MigrationImport.Status.CHECKED:
        # A dry run that found nothing to do must not offer "Yes, move 0 methods".
        return migration_has_work(migration)
    return (
        migration.status in (MigrationImport.Status.FAILED, MigrationImport.Status.APPLYING)
        and phase == APPLY
    )


def migration_has_work(migration: MigrationImport) -> bool:
    """After a dry run: would applying change anything (a method to move or a default to set)?"""
    summary = migration.summary or {}
    counts = summary.get("counts") or {}
    return bool(counts.get(Outcome.REPOINT, 0) + counts.get(Outcome.ADD, 0) or summary.get("defaults"))


def migration_start(*, migration: MigrationImport, actor: Actor, mode: str) -> MigrationImport:
    """Mark the import as running and queue the worker; refused while another run is alive."""
    from studio.tasking import enqueue_by_name

    if mode not in (DRY_RUN, APPLY):
        raise ValueError(mode)
    with transaction.atomic():
        row = MigrationImport.objects.select_for_update().defer("content", "report").get(pk=migration.pk)
        allowed = migration_can_dry_run(row) if mode == DRY_RUN else migration_can_apply(row)
        if not allowed:
            if migration_is_running(row):
                raise ValidationError(_("This import is running already."))
            if row.status == MigrationImport.Status.CHECKED:
                raise ValidationError(
                    _(
                        "Nothing to apply: no row of this file moves a saved method or sets a "
                        "default. Correct the file and upload it again."
                    )
                )
            raise ValidationError(_("Run a dry run before applying."))
        run = uuid.uuid4().hex
        now = timezone.now()
        row.status = MigrationImport.Status.CHECKING if mode == DRY_RUN else MigrationImport.Status.APPLYING
        row.progress_done = 0
        row.error = ""
        row.summary = {
            "phase": mode,
            "run": run,
            "heartbeat": now.isoformat(),
            "queued_at": now.isoformat(),
            "previous": _short_summary(row.summary),
        }
        row.report = []  # the run writes a fresh one
        row.save(update_fields=["status", "progress_done", "error", "summary", "report"])
        audit_record(
            studio=row.studio,
            actor=actor,
            action="payments.migration_dry_run" if mode == DRY_RUN else "payments.migration_apply",
            obj=row,
            changes={"target_account": str(row.target_account)},
        )
        task = "payments.migration_dry_run" if mode == DRY_RUN else "payments.migration_apply"
        enqueue_by_name(task, row.studio_id, row.pk, run, actor.user.pk if actor.user else None)
    migration.refresh_from_db()
    return migration


def _short_summary(summary: dict | None) -> dict:
    summary = summary or {}
    return {key: summary[key] for key in ("phase", "counts", "finished_at") if key in summary}


# --- reading the report ------------------------------------------------------------------


def outcome_label(outcome: str, *, applied: bool = False) -> str:
    if applied:
        labels = {Outcome.REPOINT: _("re-pointed"), Outcome.ADD: _("added")}
    else:
        labels = {Outcome.REPOINT: _("to re-point"), Outcome.ADD: _("to add")}
    labels.update(
        {
            Outcome.ALREADY_DONE: _("already done"),
            Outcome.NO_CLIENT: _("no matching client"),
            Outcome.MALFORMED: _("malformed row"),
            Outcome.DUPLICATE_ROW: _("duplicate row"),
            Outcome.CONFLICT: _("conflict"),
            Outcome.NOT_AT_STRIPE: _("not found at Stripe"),
            Outcome.UNSUPPORTED: _("unsupported payment method"),
        }
    )
    return labels.get(outcome, outcome)


def outcome_count_label(outcome: str, count: int, *, applied: bool = False) -> str:
    """ "1 malformed row" / "2 malformed rows": the summary's counts, with plurals the language's way."""
    if applied:
        forms = {
            Outcome.REPOINT: lambda n: ngettext("%(n)s method re-pointed", "%(n)s methods re-pointed", n),
            Outcome.ADD: lambda n: ngettext("%(n)s method added", "%(n)s methods added", n),
        }
    else:
        forms = {
            Outcome.REPOINT: lambda n: ngettext("%(n)s method to re-point", "%(n)s methods to re-point", n),
            Outcome.ADD: lambda n: ngettext("%(n)s method to add", "%(n)s methods to add", n),
        }
    forms.update(
        {
            Outcome.ALREADY_DONE: lambda n: ngettext("%(n)s row already done", "%(n)s rows already done", n),
            Outcome.NO_CLIENT: lambda n: ngettext(
                "%(n)s row with no matching client", "%(n)s rows with no matching client", n
            ),
            Outcome.MALFORMED: lambda n: ngettext("%(n)s malformed row", "%(n)s malformed rows", n),
            Outcome.DUPLICATE_ROW: lambda n: ngettext("%(n)s duplicate row", "%(n)s duplicate rows", n),
            Outcome.CONFLICT: lambda n: ngettext("%(n)s conflict", "%(n)s conflicts", n),
            Outcome.NOT_AT_STRIPE: lambda n: ngettext(
                "%(n)s row not found at Stripe", "%(n)s rows not found at Stripe", n
            ),
            Outcome.UNSUPPORTED: lambda n: ngettext(
                "%(n)s unsupported payment method", "%(n)s unsupported payment methods", n
            ),
        }
    )
    if outcome not in forms:
        return f"{count} {outcome_label(outcome, applied=applied)}"
    return forms[outcome](count) % {"n": count}


def entry_message(entry: dict) -> str:
    """The sentence explaining a row's outcome, in the reader's language."""
    args = entry.get("args") or {}
    why = entry.get("why", "")
    messages = {
        "missing": lambda: (
            _("Missing %(fields)s.") % {"fields": ", ".join(column_label(f) for f in args["fields"])}
        ),
        "prefix": lambda: (
            _("“%(value)s” is not a valid %(field)s.")
            % {"value": args["value"], "field": column_label(args["field"])}
        ),
        "duplicate": lambda: _("Same as line %(line)s.") % args,
        "old_twice": lambda: _("The old payment method is mapped differently on line %(line)s.") % args,
        "new_twice": lambda: _("The new payment method is already mapped on line %(line)s.") % args,
        "no_customer": lambda: _("Stripe has no customer %(customer)s on the new account.") % args,
        "no_email": lambda: _("The customer has no email at Stripe and is not known here.") % args,
        "email_unknown": lambda: _("No client has the email %(email)s.") % args,
        "ambiguous_email": lambda: (
            _("%(count)s clients share the email %(email)s: link the right one first.") % args
        ),
        "ambiguous_customer": lambda: _("The customer is linked to several clients here.") % args,
        "other_client": lambda: _("The old payment method belongs to another client (%(name)s).") % args,
        "foreign_methods": lambda: (
            _("The client already has methods on the new account that are not in this file: %(methods)s.")
            % args
        ),
        "limit": lambda: _("The client would have more than %(max)s saved methods: row skipped.") % args,
        "other_customer": lambda: (
            _("The client is already linked to customer %(customer)s on the new account.") % args
        ),
        "pm_other_customer": lambda: (
            _("At Stripe this payment method belongs to another customer (%(customer)s).") % args
        ),
        "no_pm": lambda: _("Stripe has no payment method %(pm)s on the new account.") % args,
        "type": lambda: _("Payment methods of type “%(type)s” cannot be saved here.") % args,
        "from_account": lambda: _("From the account “%(account)s”.") % args,
        "changed": lambda: _("The client's methods changed while this ran: run it again.") % args,
        "new_method": lambda: _("New method, copied by Stripe.") % args,
        "done": lambda: _("The new payment method is already saved on the new account.") % args,
    }
    text = messages[why]() if why in messages else ""
    extra = []
    if entry.get("default") == "old_default":
        extra.append(_("Stays the default (it was the default on the old account)."))
    elif entry.get("default") == "first":
        extra.append(_("Becomes the default: the client had none on the new account."))
    if entry.get("elsewhere"):
        extra.append(_("Note: the client's home location routes renewals to another account."))
    return " ".join([text, *extra]).strip()


REPORT_CSV_HEADER = (
    "line",
    "outcome",
    "client_id",
    "client",
    "customer_id",
    "old_payment_method_id",
    "new_payment_method_id",
    "payment_method",
    "default",
    "message",
)


def _csv_safe(value) -> str:
    """Spreadsheets run cells starting with =, +, - or @ as formulas: neutralise them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def migration_report_csv_rows(*, migration: MigrationImport) -> Iterator[list[str]]:
    """The downloadable report: a header, then one line per row of the uploaded file."""
    applied = (migration.summary or {}).get("phase") == APPLY
    yield list(REPORT_CSV_HEADER)
    for entry in migration.report or []:
        yield [
            _csv_safe(v)
            for v in (
                entry.get("line"),
                outcome_label(entry.get("outcome", ""), applied=applied),
                entry.get("client", ""),
                entry.get("name", ""),
                entry.get("cus", ""),
                entry.get("old", ""),
                entry.get("new", ""),
                entry_method(entry),
                entry.get("default", ""),
                entry_message(entry),
            )
        ]


@dataclass
class ClientReport:
    client_id: int
    name: str
    moved: list[dict] = field(default_factory=list)  # repoint + add entries
    done: int = 0
    problems: list[dict] = field(default_factory=list)
    default: dict | None = None
    elsewhere: bool = False


def migration_report_by_client(*, migration: MigrationImport) -> tuple[list[ClientReport], list[dict]]:
    """The report grouped per client (in file order), and the rows that match no client."""
    clients: dict[int, ClientReport] = {}
    unmatched: list[dict] = []
    for entry in migration.report or []:
        client_id = entry.get("client")
        if client_id is None:
            unmatched.append(entry)
            continue
        group = clients.get(client_id)
        if group is None:
            group = clients[client_id] = ClientReport(client_id=client_id, name=entry.get("name", ""))
        outcome = entry.get("outcome")
        if outcome in Outcome.MOVING:
            group.moved.append(entry)
        elif outcome == Outcome.ALREADY_DONE:
            group.done += 1
        else:
            group.problems.append(entry)
        if entry.get("default"):
            group.default = entry
        group.elsewhere = group.elsewhere or bool(entry.get("elsewhere"))
    return list(clients.values()), unmatched


# --- running -------------------------------------------------------------------------------------


def _run(
    *, migration: MigrationImport, apply: bool, actor: Actor, run: str | None, chunk_size: int | None
) -> MigrationImport:
    gateway.assert_outside_transaction()
    started = timezone.now()
    phase = APPLY if apply else DRY_RUN
    if run is None:  # called directly (tests, shell): claim the row for this run
        run = uuid.uuid4().hex
        MigrationImport.objects.filter(pk=migration.pk).update(
            status=MigrationImport.Status.APPLYING if apply else MigrationImport.Status.CHECKING,
            progress_done=0,
            error="",
            summary={"phase": phase, "run": run, "heartbeat": started.isoformat()},
        )
    migration.refresh_from_db()
    pool = (
        ThreadPoolExecutor(max_workers=STRIPE_READERS, thread_name_prefix="migration-stripe")
        if STRIPE_READERS > 1
        else None
    )
    try:
        return _run_with(
            migration=migration,
            planner=Planner(migration, apply=apply, actor=actor, run=run, pool=pool),
            apply=apply,
            actor=actor,
            run=run,
            phase=phase,
            started=started,
            chunk_size=chunk_size,
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _run_with(
    *,
    migration: MigrationImport,
    planner: Planner,
    apply: bool,
    actor: Actor,
    run: str,
    phase: str,
    started,
    chunk_size: int | None,
) -> MigrationImport:
    done = 0
    try:
        planner.index_file()
        for chunk in chunks(planner.rows(), chunk_size or CHUNK_SIZE):
            planner.check_current()
            plans = planner.plan_chunk(chunk)
            done += len(chunk)
            if apply:
                planner.write_chunk(plans, done)
            else:
                planner.progress(done)
        summary = planner.finish()
    except Superseded:
        return migration
    except gateway.StripeUnavailable as exc:
        return _fail(migration, run, f"{FAILURE_UNAVAILABLE}:{exc.message}", done)
    except gateway.GatewayError as exc:
        return _fail(migration, run, f"{FAILURE_REFUSED}:{exc.message}", done)
    except Exception:
        _fail(migration, run, f"{FAILURE_UNEXPECTED}:", done)
        raise
    finished = timezone.now()
    summary.update(
        phase=phase,
        run=run,
        heartbeat=finished.isoformat(),
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        seconds=round((finished - started).total_seconds(), 2),
    )
    with transaction.atomic():
        try:
            planner.check_current(lock=True)
        except Superseded:
            return migration
        status = MigrationImport.Status.APPLIED if apply else MigrationImport.Status.CHECKED
        fields = {
            "status": status,
            "progress_done": done,
            "progress_total": done,
            "summary": summary,
            "report": planner.report,
            "error": "",
        }
        if apply:
            fields["applied_at"] = finished
        MigrationImport.objects.filter(pk=migration.pk).update(**fields)
        if apply:
            audit_record(
                studio=migration.studio,
                actor=actor,
                action="payments.migration_applied",
                obj=migration,
                changes={
                    "counts": summary["counts"],
                    "clients": summary["clients"],
                    "defaults": summary["defaults"],
                    "target_account": str(migration.target_account),
                },
            )
    for name, value in fields.items():  # no reload: the report is the list in hand, not a second copy
        setattr(migration, name, value)
    return migration


# A failed run stores a code and Stripe's own message ("stripe_unavailable:timeout"), worded when read.
FAILURE_UNAVAILABLE, FAILURE_REFUSED, FAILURE_UNEXPECTED = (
    "stripe_unavailable",
    "stripe_refused",
    "unexpected",
)


def migration_error_text(*, migration: MigrationImport) -> str:
    """Why a run failed, in the reader's language (rows from before the codes keep their sentence)."""
    code, _sep, detail = (migration.error or "").partition(":")
    if code == FAILURE_UNAVAILABLE:
        return _("Stripe did not answer (%(error)s). Nothing is lost: run it again in a moment.") % {
            "error": detail
        }
    if code == FAILURE_REFUSED:
        return _("Stripe refused a request (%(error)s).") % {"error": detail}
    if code == FAILURE_UNEXPECTED:
        return _(
            "The import stopped on an unexpected error. Nothing is lost: run it again, or contact support if "
            "it happens again."
        )
    return migration.error or ""


def _fail(migration: MigrationImport, run: str, message: str, done: int) -> MigrationImport:
    with transaction.atomic():
        MigrationImport.objects.filter(pk=migration.pk, summary__run=run).update(
            status=MigrationImport.Status.FAILED, error=message[:2000], progress_done=done
        )
    migration.refresh_from_db()
    return migration


def migration_dry_run(
    *, migration: MigrationImport, run: str | None = None, chunk_size: int | None = None
) -> MigrationImport:
    """Plan every row and store the report; writes nothing else (no saved method, no customer, no Stripe)."""
    return _run(migration=migration, apply=False, actor=SYSTEM, run=run, chunk_size=chunk_size)


def migration_apply(
    *,
    migration: MigrationImport,
    actor: Actor = SYSTEM,
    run: str | None = None,
    chunk_size: int | None = None,
) -> MigrationImport:
    """Re-plan and write each chunk in its own transaction; idempotent (a second apply finds all done)."""
    return _run(migration=migration, apply=True, actor=actor, run=run, chunk_size=chunk_size)
