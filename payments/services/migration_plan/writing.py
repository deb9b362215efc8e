"""Writing a chunk of decisions (PAY-10, apply only), and the run's own progress row."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from payments.models import (
    MAX_SAVED_METHODS,
    MigrationImport,
    SavedPaymentMethod,
    StripeCustomer,
)
from payments.services.migration_plan.state import Outcome, Superseded, _Plan, entry_method
from studio.models import AuditLog, Client


class Writing:
    """Planner phase 3: the chunk's short transaction, and progress (mixed into `Planner`)."""

    # --- writing one chunk (apply only) -----------------------------------------------------------
    def write_chunk(self, plans: list[_Plan], done: int) -> None:
        moving = [p for p in plans if p.entry.get("outcome") in Outcome.MOVING]
        with transaction.atomic():
            self.check_current(lock=True)
            if moving:
                self._write(moving)
            MigrationImport.objects.filter(pk=self.migration.pk).update(
                progress_done=done, summary=self._heartbeat()
            )

    def _write(self, moving: list[_Plan]) -> None:
        """Write one chunk's decisions in a few statements, re-checking what may have changed since
        the plan (a colleague's save, another run): such rows are reported, never forced."""
        client_ids = sorted({p.client_id for p in moving})
        list(Client.objects.select_for_update().filter(pk__in=client_ids).order_by("pk").values_list("pk"))
        counts = dict(
            SavedPaymentMethod.objects.filter(client_id__in=client_ids)
            .values("client_id")
            .annotate(n=Count("pk"))
            .values_list("client_id", "n")
        )
        customers = {
            c.client_id: c
            for c in StripeCustomer.objects.filter(client_id__in=client_ids, account=self.target)
        }
        taken = set(
            SavedPaymentMethod.objects.filter(
                studio=self.studio,
                account=self.target,
                stripe_payment_method_id__in=[p.row.source_new for p in moving],
            ).values_list("stripe_payment_method_id", flat=True)
        )
        to_move = SavedPaymentMethod.objects.select_for_update().in_bulk(
            [p.existing_pk for p in moving if p.existing_pk is not None]
        )
        defaults_before = dict(
            SavedPaymentMethod.objects.filter(
                client_id__in=client_ids, account=self.target, is_default=True
            ).values_list("client_id", "stripe_payment_method_id")
        )
        default_of = dict(defaults_before)
        new_customers: list[StripeCustomer] = []
        accepted: list[_Plan] = []
        for plan in moving:
            row, cid = plan.row, plan.client_id
            if row.source_new in taken:
                plan.entry.update(outcome=Outcome.ALREADY_DONE, why="done")
                plan.entry.pop("args", None)
                continue
            customer = customers.get(cid)
            if customer is None:
                customer = customers[cid] = StripeCustomer(
                    studio=self.studio,
                    client_id=cid,
                    account=self.target,
                    stripe_customer_id=row.customer_new,
                    idempotency_key=f"customer:{cid}:{self.target.pk}",
                )
                new_customers.append(customer)
            elif not customer.stripe_customer_id:  # a first save is creating one right now: ours is the copy
                StripeCustomer.objects.filter(pk=customer.pk, stripe_customer_id="").update(
                    stripe_customer_id=row.customer_new
                )
                customer.stripe_customer_id = row.customer_new
            elif customer.stripe_customer_id != row.customer_new:
                self._changed(plan)
                continue
            if plan.existing_pk is not None:
                old = to_move.get(plan.existing_pk)
                if old is None or (old.account_id, old.stripe_payment_method_id) != (
                    plan.existing_account_id,
                    row.source_old,
                ):
                    self._changed(plan)
                    continue
            elif counts.get(cid, 0) >= MAX_SAVED_METHODS:
                self._skip(plan, Outcome.CONFLICT, "limit", max=MAX_SAVED_METHODS)
                continue
            else:
                counts[cid] = counts.get(cid, 0) + 1
            if plan.make_default:
                current = default_of.get(cid)
                if current is not None and current != plan.demote:
                    # Someone chose a default on the new account meanwhile: theirs stands.
                    plan.make_default = False
                    state = self.clients[cid]
                    state.default_pm, state.default_reason, state.default_entry = current, "existing", None
                else:
                    default_of[cid] = row.source_new
            taken.add(row.source_new)
            accepted.append(plan)

        replaced = [cid for cid, pm in defaults_before.items() if default_of.get(cid) != pm]
        if replaced:
            SavedPaymentMethod.objects.filter(
                client_id__in=replaced, account=self.target, is_default=True
            ).update(is_default=False)
        if new_customers:
            StripeCustomer.objects.bulk_create(new_customers)
        moved, added = [], []
        for plan in accepted:
            row, method = plan.row, plan.method
            is_default = default_of.get(plan.client_id) == row.source_new
            customer = customers[plan.client_id]
            if plan.existing_pk is not None:
                old = to_move[plan.existing_pk]
                old.account, old.customer, old.stripe_payment_method_id = (
                    self.target,
                    customer,
                    row.source_new,
                )
                old.is_default, old.exp_month, old.exp_year = is_default, method.exp_month, method.exp_year
                moved.append(old)
            else:
                added.append(
                    SavedPaymentMethod(
                        studio=self.studio,
                        client_id=plan.client_id,
                        account=self.target,
                        customer=customer,
                        stripe_payment_method_id=row.source_new,
                        kind=method.kind,
                        brand=method.brand[:40],
                        bank_name=method.bank[:100],
                        last4=method.last4[:4],
                        exp_month=method.exp_month,
                        exp_year=method.exp_year,
                        account_holder=method.holder,
                        fingerprint=method.fingerprint,
                        is_default=is_default,
                        source=SavedPaymentMethod.Source.MIGRATION,
                        created_by=self.actor.user,
                    )
                )
        if moved:
            self._repoint(moved)
        if added:
            SavedPaymentMethod.objects.bulk_create(added)
        by_new_id = {m.stripe_payment_method_id: m for m in (*moved, *added)}
        AuditLog.objects.bulk_create(
            [
                AuditLog(
                    studio=self.studio,
                    actor=self.actor.user,
                    ip_address=self.actor.ip_address,
                    action="payments.saved_method_migrated"
                    if plan.existing_pk is not None
                    else "payments.saved_method_added",
                    object_type="savedpaymentmethod",
                    object_id=str(by_new_id[plan.row.source_new].pk),
                    object_repr=entry_method(plan.entry)[:200],
                    changes={
                        "migration": self.migration.pk,
                        "line": plan.row.line,
                        "account": str(self.target),
                        "from": plan.row.source_old,
                        "to": plan.row.source_new,
                        "default": by_new_id[plan.row.source_new].is_default,
                        "source": SavedPaymentMethod.Source.MIGRATION,
                    },
                )
                for plan in accepted
            ]
        )

    def _repoint(self, moved: list[SavedPaymentMethod]) -> None:
        """One UPDATE … FROM (VALUES …) for the chunk's re-pointed methods (bulk_update's CASE per
        column costs seconds per chunk). Raw SQL skips the scope: the studio is in the WHERE."""
        table = connection.ops.quote_name(SavedPaymentMethod._meta.db_table)
        values = ", ".join(
            ["(%s::bigint, %s::bigint, %s::bigint, %s::varchar, %s::boolean, %s::integer, %s::integer)"]
            * len(moved)
        )
        params: list = []
        for m in moved:
            params += [
                m.pk,
                m.account_id,
                m.customer_id,
                m.stripe_payment_method_id,
                m.is_default,
                m.exp_month,
                m.exp_year,
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET account_id = v.account_id, customer_id = v.customer_id, "  # noqa: S608
                f"stripe_payment_method_id = v.pm, is_default = v.is_default, exp_month = v.exp_month, "
                f"exp_year = v.exp_year FROM (VALUES {values}) AS v(id, account_id, customer_id, pm, is_default, "
                f"exp_month, exp_year) WHERE t.id = v.id AND t.studio_id = %s",
                [*params, self.studio.pk],
            )

    def _changed(self, plan: _Plan) -> None:
        plan.entry.pop("default", None)
        self._skip(plan, Outcome.CONFLICT, "changed")

    # --- the run's own row ----------------------------------------------------------------------
    def _heartbeat(self) -> dict:
        summary = dict(self.migration.summary or {})
        summary["heartbeat"] = timezone.now().isoformat()
        self.migration.summary = summary
        return summary

    def check_current(self, *, lock: bool = False) -> None:
        if self.run is None:
            return
        query = MigrationImport.objects.filter(pk=self.migration.pk)
        if lock:
            query = query.select_for_update()
        current = query.values_list("summary", flat=True).first() or {}
        if current.get("run") != self.run:
            raise Superseded

    def progress(self, done: int) -> None:
        """Dry run: progress and heartbeat only, in their own tiny transaction."""
        with transaction.atomic():
            self.check_current(lock=True)
            MigrationImport.objects.filter(pk=self.migration.pk).update(
                progress_done=done, summary=self._heartbeat()
            )
