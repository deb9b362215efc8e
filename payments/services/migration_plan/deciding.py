"""Deciding a chunk of rows (PAY-10): batched queries, Stripe reads, one outcome per row.

The dry run stops here; the apply then hands the decisions to `writing`.
"""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Lower

from payments import gateway
from payments.models import (
    MAX_SAVED_METHODS,
    SavedPaymentMethod,
    StripeCustomer,
)
from payments.services.migration_plan.file import CUSTOMER_PREFIXES, SOURCE_PREFIXES
from payments.services.migration_plan.state import (
    Outcome,
    _ClientState,
    _describe_db_method,
    _describe_method,
    _expired,
    _Plan,
    _Row,
)
from studio.models import Client


class Deciding:
    """Planner phase 2: checks, client matching and decisions (mixed into `Planner`)."""

    # --- one chunk ------------------------------------------------------------------------------
    def plan_chunk(self, rows: list[_Row]) -> list[_Plan]:
        """Decide a chunk of rows: batched queries, then Stripe reads (never inside a transaction)."""
        gateway.assert_outside_transaction()  # the reader threads cannot see this thread's transactions
        plans = [self._check_row(row) for row in rows]
        live = [p for p in plans if "outcome" not in p.entry]
        if not live:
            return plans
        pm_ids = {p.row.source_old for p in live} | {p.row.source_new for p in live}
        methods_by_pm: dict[str, list[dict]] = {}
        for m in SavedPaymentMethod.objects.filter(
            studio=self.studio, stripe_payment_method_id__in=pm_ids
        ).values(
            "pk",
            "client_id",
            "account_id",
            "stripe_payment_method_id",
            "is_default",
            "kind",
            "brand",
            "bank_name",
            "last4",
            "exp_month",
            "exp_year",
        ):
            methods_by_pm.setdefault(m["stripe_payment_method_id"], []).append(m)
        customer_ids = {p.row.customer_old for p in live} | {p.row.customer_new for p in live}
        clients_by_customer: dict[str, set[int]] = {}
        for cid, client_id in StripeCustomer.objects.filter(
            studio=self.studio, stripe_customer_id__in=customer_ids
        ).values_list("stripe_customer_id", "client_id"):
            clients_by_customer.setdefault(cid, set()).add(client_id)

        # Who each row is for: our own rows first, then the customer's email at Stripe.
        need_email: dict[str, list[_Plan]] = {}
        for plan in live:
            self._find_client(plan, methods_by_pm, clients_by_customer, need_email)
        if need_email:
            self._match_emails(need_email)
        self._load_clients(
            {p.client_id for p in live if p.client_id is not None and "outcome" not in p.entry}
        )

        # The new methods' details, read from Stripe for every row that may need them, in one go.
        maybe = [
            p.row.source_new
            for p in live
            if "outcome" not in p.entry
            and p.row.source_new not in self.clients[p.client_id].target_pms
            and not any(m["account_id"] == self.target.pk for m in methods_by_pm.get(p.row.source_new, []))
        ]
        stripe_methods = self._read_many(self._retrieve_method, maybe)
        for plan in live:
            if "outcome" not in plan.entry:
                self._decide(plan, methods_by_pm, stripe_methods)
        return plans

    def _entry(self, row: _Row) -> dict:
        entry = {"line": row.line}
        for key, value in (("cus", row.customer_new), ("old", row.source_old), ("new", row.source_new)):
            if value:
                entry[key] = value
        self.report.append(entry)
        return entry

    def _check_row(self, row: _Row) -> _Plan:
        plan = _Plan(row=row, entry=self._entry(row), index=len(self.report) - 1)
        missing = [
            key
            for key, value in (
                ("customer_old", row.customer_old),
                ("source_old", row.source_old),
                ("source_new", row.source_new),
            )
            if not value
        ]
        if missing:
            return self._skip(plan, Outcome.MALFORMED, "missing", fields=missing)
        for key, value, prefixes in (
            ("customer_old", row.customer_old, CUSTOMER_PREFIXES),
            ("customer_new", row.customer_new, CUSTOMER_PREFIXES),
            ("source_old", row.source_old, SOURCE_PREFIXES),
            ("source_new", row.source_new, SOURCE_PREFIXES),
        ):
            if not value.startswith(prefixes) or len(value) > 64 or not value.replace("_", "").isalnum():
                return self._skip(plan, Outcome.MALFORMED, "prefix", field=key, value=value[:80])
        first = self.seen_old.get(row.source_old)
        if first is not None:
            if (first[1], first[2]) == (row.source_new, row.customer_new):
                return self._skip(plan, Outcome.DUPLICATE_ROW, "duplicate", line=first[0])
            return self._skip(plan, Outcome.CONFLICT, "old_twice", line=first[0])
        if row.source_new in self.seen_new:
            return self._skip(plan, Outcome.CONFLICT, "new_twice", line=self.seen_new[row.source_new])
        self.seen_old[row.source_old] = (row.line, row.source_new, row.customer_new)
        self.seen_new[row.source_new] = row.line
        return plan

    def _skip(self, plan: _Plan, outcome: str, why: str, **args) -> _Plan:
        plan.entry["outcome"] = outcome
        plan.entry["why"] = why
        if args:
            plan.entry["args"] = args
        return plan

    def _find_client(
        self,
        plan: _Plan,
        methods_by_pm: dict[str, list[dict]],
        clients_by_customer: dict[str, set[int]],
        need_email: dict[str, list[_Plan]],
    ) -> None:
        row = plan.row
        owners = {
            m["client_id"] for m in methods_by_pm.get(row.source_old, []) if m["account_id"] != self.target.pk
        }
        owners |= {
            m["client_id"] for m in methods_by_pm.get(row.source_new, []) if m["account_id"] == self.target.pk
        }
        by_customer = clients_by_customer.get(row.customer_old, set()) | clients_by_customer.get(
            row.customer_new, set()
        )
        if len(owners) > 1 or (not owners and len(by_customer) > 1):
            self._skip(plan, Outcome.CONFLICT, "ambiguous_customer")
        elif owners:
            plan.client_id = next(iter(owners))
            if by_customer and plan.client_id not in by_customer:
                other = Client.objects.filter(pk=next(iter(by_customer))).first()
                self._skip(plan, Outcome.CONFLICT, "other_client", name=other.full_name if other else "?")
        elif by_customer:
            plan.client_id = next(iter(by_customer))
        else:
            need_email.setdefault(row.customer_new, []).append(plan)

    def _match_emails(self, need_email: dict[str, list[_Plan]]) -> None:
        emails: dict[str, str] = {}
        answers = self._customers(need_email)
        for customer_id, plans in need_email.items():
            exists, email = answers[customer_id]
            if not exists:
                for plan in plans:
                    self._skip(plan, Outcome.NO_CLIENT, "no_customer", customer=customer_id)
            elif not email:
                for plan in plans:
                    self._skip(plan, Outcome.NO_CLIENT, "no_email")
            else:
                emails[customer_id] = email
        if not emails:
            return
        by_email: dict[str, list[int]] = {}
        for client_id, email in (
            Client.objects.filter(studio=self.studio, archived_at__isnull=True)
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__in=set(emails.values()))
            .values_list("pk", "email_lower")
        ):
            by_email.setdefault(email, []).append(client_id)
        for customer_id, email in emails.items():
            matches = by_email.get(email, [])
            for plan in need_email[customer_id]:
                if not matches:
                    self._skip(plan, Outcome.NO_CLIENT, "email_unknown", email=email)
                elif len(matches) > 1:
                    self._skip(plan, Outcome.CONFLICT, "ambiguous_email", email=email, count=len(matches))
                else:
                    plan.client_id = matches[0]

    def _load_clients(self, client_ids: set[int]) -> None:
        new = [pk for pk in client_ids if pk not in self.clients]
        if not new:
            return
        people = {
            pk: (f"{first} {last}".strip(), home)
            for pk, first, last, home in Client.objects.filter(pk__in=new).values_list(
                "pk", "first_name", "last_name", "home_location_id"
            )
        }
        customers = dict(
            StripeCustomer.objects.filter(client_id__in=new, account=self.target).values_list(
                "client_id", "stripe_customer_id"
            )
        )
        counts = dict(
            SavedPaymentMethod.objects.filter(client_id__in=new)
            .values("client_id")
            .annotate(n=Count("pk"))
            .values_list("client_id", "n")
        )
        states = {}
        for pk in new:
            name, home = people.get(pk, ("?", None))
            states[pk] = _ClientState(
                name=name,
                count=counts.get(pk, 0),
                target_pms=set(),
                foreign=[],
                target_customer=customers.get(pk),
                elsewhere=self._routes_elsewhere(home),
            )
        for m in SavedPaymentMethod.objects.filter(client_id__in=new, account=self.target).order_by("pk"):
            state = states[m.client_id]
            state.target_pms.add(m.stripe_payment_method_id)
            if m.stripe_payment_method_id not in self.file_new_ids:
                state.foreign.append(f"{m.label} •••• {m.last4}")
            if m.is_default:
                state.default_pm = m.stripe_payment_method_id
                state.default_reason = "existing"
                state.default_expired = m.is_expired(self.today)
        self.clients.update(states)

    def _decide(self, plan: _Plan, methods_by_pm: dict[str, list[dict]], stripe_methods: dict) -> None:
        row, entry = plan.row, plan.entry
        state = self.clients[plan.client_id]
        entry["client"] = plan.client_id
        entry["name"] = state.name
        if state.elsewhere:
            entry["elsewhere"] = True
        done = [m for m in methods_by_pm.get(row.source_new, []) if m["account_id"] == self.target.pk]
        if done or row.source_new in state.target_pms:
            if done:
                _describe_db_method(entry, done[0])
            self._skip(plan, Outcome.ALREADY_DONE, "done")
            return
        if state.foreign:
            self._skip(plan, Outcome.CONFLICT, "foreign_methods", methods=", ".join(state.foreign))
            return
        if state.target_customer and state.target_customer != row.customer_new:
            self._skip(plan, Outcome.CONFLICT, "other_customer", customer=state.target_customer)
            return
        existing = [
            m
            for m in methods_by_pm.get(row.source_old, [])
            if m["account_id"] != self.target.pk and m["client_id"] == plan.client_id
        ]
        if not existing and state.count >= MAX_SAVED_METHODS:
            self._skip(plan, Outcome.CONFLICT, "limit", max=MAX_SAVED_METHODS)
            return
        method, attached_to = stripe_methods.get(row.source_new) or self._retrieve_method(row.source_new)
        if method is None:
            self._skip(plan, Outcome.NOT_AT_STRIPE, "no_pm", pm=row.source_new)
            return
        _describe_method(entry, method)
        if method.kind not in SavedPaymentMethod.Kind.values:
            self._skip(plan, Outcome.UNSUPPORTED, "type", type=method.kind)
            return
        if attached_to != row.customer_new:
            self._skip(plan, Outcome.CONFLICT, "pm_other_customer", customer=attached_to or "—")
            return
        plan.method = method
        expired = _expired(method.exp_month, method.exp_year, self.today)
        if existing:
            old = existing[0]
            plan.existing_pk, plan.existing_account_id = old["pk"], old["account_id"]
            entry["outcome"] = Outcome.REPOINT
            entry["why"] = "from_account"
            entry["args"] = {"account": self.accounts.get(old["account_id"], "?")}
            keeps_default = old["is_default"]
        else:
            entry["outcome"] = Outcome.ADD
            entry["why"] = "new_method"
            state.count += 1
            keeps_default = False
        state.target_pms.add(row.source_new)
        state.target_customer = row.customer_new
        index = plan.index
        # Defaults: the old default stays the default; otherwise the first usable migrated method.
        if keeps_default and state.default_reason in ("", "first"):
            plan.make_default, plan.demote = True, state.default_pm
            state.default_pm, state.default_reason, state.default_expired = (
                row.source_new,
                "old_default",
                expired,
            )
            state.default_entry = index
        elif state.default_pm is None or (
            state.default_reason == "first" and state.default_expired and not expired
        ):
            plan.make_default, plan.demote = True, state.default_pm
            state.default_pm, state.default_reason, state.default_expired = row.source_new, "first", expired
            state.default_entry = index

    def finish(self) -> dict:
        defaults = 0
        for state in self.clients.values():
            if (
                state.default_entry is not None
                and state.default_reason in ("old_default", "first")
                and self.report[state.default_entry].get("outcome") in Outcome.MOVING
            ):
                self.report[state.default_entry]["default"] = state.default_reason
                defaults += 1
        counts = dict.fromkeys(Outcome.ALL, 0)
        sources: dict[str, int] = {}
        touched: set[int] = set()
        elsewhere: set[int] = set()
        for entry in self.report:
            counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
            if entry["outcome"] == Outcome.REPOINT:
                account = entry["args"]["account"]
                sources[account] = sources.get(account, 0) + 1
            if entry["outcome"] in Outcome.MOVING:
                touched.add(entry["client"])
                if entry.get("elsewhere"):
                    elsewhere.add(entry["client"])
        return {
            "counts": counts,
            "rows": len(self.report),
            "clients": len(touched),
            "defaults": defaults,
            "routes_elsewhere": len(elsewhere),
            "sources": sources,
        }
