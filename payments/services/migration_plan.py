"""The row planner of the migration import (PAY-10): reading Stripe's mapping file, deciding each
row's outcome, and writing a chunk of decisions (apply only).

`payments.services.migration_import` drives it; nothing here is called from views.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import gateway
from payments.gateway.types import PaymentMethod
from payments.models import (
    MAX_SAVED_METHODS,
    ConnectedAccount,
    ConnectedAccountLocation,
    MigrationImport,
    SavedPaymentMethod,
    StripeCustomer,
)
from payments.models.settings import Channel, ItemKind
from payments.services.routing import Purchase, route_with
from studio.models import AuditLog, Client, Location
from studio.services import Actor

CUSTOMER_CACHE_SIZE = 2048


# --- the file's columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool


COLUMNS = (
    Column("customer_old", ("customer_id_old", "old_customer_id", "customer_id", "customer"), True),
    Column("customer_new", ("customer_id_new", "new_customer_id"), False),
    Column("source_old", ("source_id_old", "old_source_id", "payment_method_id_old", "old_payment_method_id",
                          "source_id"), True),
    Column("source_new", ("source_id_new", "new_source_id", "payment_method_id_new", "new_payment_method_id"), True),
)

CUSTOMER_PREFIXES = ("cus_",)
SOURCE_PREFIXES = ("pm_", "card_", "src_", "ba_")


def column_label(key: str) -> str:
    return {
        "customer_old": _("old customer id"),
        "customer_new": _("new customer id"),
        "source_old": _("old payment method id"),
        "source_new": _("new payment method id"),
    }[key]


def _normalise(name: str) -> str:
    return name.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def migration_columns(header: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map the file's header to our fields: ({our field: the file's column}, [missing fields])."""
    by_name: dict[str, str] = {}
    for name in header:
        by_name.setdefault(_normalise(name), name)
    mapping: dict[str, str] = {}
    for column in COLUMNS:
        for alias in column.aliases:
            if alias in by_name and by_name[alias] not in mapping.values():
                mapping[column.key] = by_name[alias]
                break
    missing = [c.key for c in COLUMNS if c.required and c.key not in mapping]
    return mapping, missing


def _delimiter(first_line: str) -> str:
    """Stripe writes commas; a file re-saved by a spreadsheet may use semicolons or tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _lines(text: str) -> Iterator[str]:
    """The text's lines, one slice at a time (no second copy of the whole file)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end == -1 else end + 1
        yield text[start:end]
        start = end


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip("\r") if "\n" in text[:100_000] else text[:100_000].strip("\r")


def header_of(text: str) -> list[str]:
    first = _first_line(text)
    return next(csv.reader([first], delimiter=_delimiter(first)), [])


def read_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank record after the header, streamed."""
    reader = csv.reader(_lines(text), delimiter=_delimiter(_first_line(text)))
    next(reader, None)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


# --- outcomes, and reading the report -------------------------------------------------------------


class Outcome:
    REPOINT = "repoint"
    ADD = "add"
    ALREADY_DONE = "already_done"
    NO_CLIENT = "no_client"
    MALFORMED = "malformed"
    DUPLICATE_ROW = "duplicate_row"
    CONFLICT = "conflict"
    NOT_AT_STRIPE = "not_at_stripe"
    UNSUPPORTED = "unsupported"

    MOVING = (REPOINT, ADD)
    PROBLEMS = (NO_CLIENT, MALFORMED, DUPLICATE_ROW, CONFLICT, NOT_AT_STRIPE, UNSUPPORTED)
    ALL = (REPOINT, ADD, ALREADY_DONE, NO_CLIENT, MALFORMED, DUPLICATE_ROW, CONFLICT, NOT_AT_STRIPE, UNSUPPORTED)


def entry_method(entry: dict) -> str:
    """'Visa •••• 4242 (12/2030)' from the few details a report entry keeps."""
    if not entry.get("last4"):
        return ""
    if entry.get("kind") == SavedPaymentMethod.Kind.CARD:
        label = (entry.get("brand") or "card").replace("_", " ").title()
    else:
        label = entry.get("bank") or str(dict(SavedPaymentMethod.Kind.choices).get(entry.get("kind"), ""))
    text = f"{label} •••• {entry['last4']}"
    return f"{text} ({entry['exp']})" if entry.get("exp") else text


# --- the planner ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    customer_old: str
    customer_new: str
    source_old: str
    source_new: str


@dataclass(slots=True)
class _Method:
    """The few fields a saved method row needs, read from Stripe (never the whole object)."""

    kind: str
    brand: str
    bank: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    holder: str


@dataclass(slots=True)
class _ClientState:
    name: str
    count: int  # saved methods on every account, including those planned in this run
    target_pms: set[str]
    foreign: list[str]  # labels of target-account methods that are not in the file
    target_customer: str | None  # stripe id of the client's customer row on the target account, if any
    default_pm: str | None = None  # the default on the target account (existing or planned)
    default_reason: str = ""  # "existing", "old_default" (kept from the old account) or "first"
    default_expired: bool = False
    default_entry: int | None = None  # index in the report of the row that made it the default
    elsewhere: bool = False


@dataclass(slots=True)
class _Plan:
    """One row's decision, with what the apply step needs to write it."""

    row: _Row
    entry: dict
    index: int  # the entry's position in the report
    client_id: int | None = None
    existing_pk: int | None = None  # the saved method to re-point
    existing_account_id: int | None = None
    method: _Method | None = None
    make_default: bool = False
    demote: str | None = None  # a default set earlier in this run, replaced by this row's


def _expired(exp_month: int | None, exp_year: int | None, today) -> bool:
    if not exp_month or not exp_year:
        return False
    return (exp_year, exp_month) < (today.year, today.month)


def _method_from_stripe(pm: PaymentMethod) -> _Method:
    details = pm.raw.get(pm.type) or {}
    return _Method(kind=pm.type, brand=(details.get("brand") or "") if pm.type == "card" else "",
                   bank=(details.get("bank_name") or "") if pm.type != "card" else "", last4=pm.last4 or "",
                   exp_month=pm.exp_month, exp_year=pm.exp_year, holder=(pm.holder_name or "")[:120])


class Superseded(Exception):
    """A newer run of the same import started: this one stops without touching the row."""


class Planner:
    def __init__(self, migration: MigrationImport, *, apply: bool, actor: Actor, run: str | None,
                 pool: Executor | None = None):
        self.migration = migration
        self.pool = pool
        self.studio = migration.studio
        self.target = migration.target_account
        self.acct = self.target.stripe_account_id
        self.apply = apply
        self.actor = actor
        self.run = run
        self.today = timezone.localdate()
        self.columns = migration.columns or {}
        self.report: list[dict] = []
        self.clients: dict[int, _ClientState] = {}
        self.seen_old: dict[str, tuple[int, str, str]] = {}  # old pm → (line, new pm, customer)
        self.seen_new: dict[str, int] = {}
        self.file_new_ids: set[str] = set()
        self.customer_cache: OrderedDict[str, tuple[bool, str | None]] = OrderedDict()
        self.accounts = {a.pk: a.display_name for a in ConnectedAccount.objects.filter(studio=self.studio)}
        links = {link.location_id: link.account for link in
                 ConnectedAccountLocation.objects.filter(studio=self.studio).select_related("account")}
        default = ConnectedAccount.objects.filter(studio=self.studio, is_default=True).first()
        self._routing = (links, default)
        self._routes: dict[int | None, int | None] = {}
        self._locations = {loc.pk: loc for loc in Location.objects.filter(studio=self.studio)}

    # --- reading the file -------------------------------------------------------------------------
    def rows(self) -> Iterator[_Row]:
        positions = None
        for line, cells in read_records(self.migration.content):
            if positions is None:
                positions = self._positions()
            values = {key: (cells[i].strip() if i is not None and i < len(cells) else "")
                      for key, i in positions.items()}
            yield _Row(line=line, customer_old=values["customer_old"],
                       customer_new=values["customer_new"] or values["customer_old"],
                       source_old=values["source_old"], source_new=values["source_new"])

    def _positions(self) -> dict[str, int | None]:
        index: dict[str, int] = {}
        for i, name in enumerate(header_of(self.migration.content)):
            index.setdefault(name, i)
        return {c.key: index.get(self.columns.get(c.key, "")) for c in COLUMNS}

    def index_file(self) -> None:
        """First pass: every new id the file mentions (methods 'part of this file')."""
        for row in self.rows():
            if row.source_new:
                self.file_new_ids.add(row.source_new)

    # --- routing note ---------------------------------------------------------------------------
    def _routes_elsewhere(self, home_location_id: int | None) -> bool:
        if home_location_id not in self._routes:
            links, default = self._routing
            route = route_with(purchase=Purchase(channel=Channel.ONLINE, item_kind=ItemKind.MEMBERSHIP,
                                                 client_home_location=self._locations.get(home_location_id)),
                               by_location=links, default=default)
            self._routes[home_location_id] = route.account.pk if route.account else None
        return self._routes[home_location_id] != self.target.pk

    # --- Stripe reads (outside any transaction), cached per customer ------------------------------
    def _read_many(self, read, keys: Iterable[str]) -> dict[str, object]:
        """`read(key)` for each key; a few at a time in threads when a pool is given (Stripe's latency,
        not our CPU, bounds a real import). Errors other than "no such object" stop the run."""
        keys = list(dict.fromkeys(keys))
        if self.pool is None or len(keys) < 2:
            return {key: read(key) for key in keys}
        return dict(zip(keys, self.pool.map(read, keys), strict=True))

    def _retrieve_customer(self, customer_id: str) -> tuple[bool, str | None]:
        try:
            customer = gateway.customer_retrieve(account=self.acct, customer_id=customer_id)
        except gateway.InvalidRequest:
            return False, None
        return not customer.raw.get("deleted"), (customer.email or "").strip().lower() or None

    def _customers(self, customer_ids: Iterable[str]) -> dict[str, tuple[bool, str | None]]:
        wanted = list(customer_ids)
        found = {c: self.customer_cache[c] for c in wanted if c in self.customer_cache}
        fetched = self._read_many(self._retrieve_customer, [c for c in wanted if c not in found])
        for customer_id, answer in fetched.items():
            self.customer_cache[customer_id] = answer
            if len(self.customer_cache) > CUSTOMER_CACHE_SIZE:
                self.customer_cache.popitem(last=False)
        return {**found, **fetched}

    def _retrieve_method(self, pm_id: str) -> tuple[_Method | None, str | None]:
        """(the method's details, the customer it is attached to) on the target account."""
        try:
            pm = gateway.payment_method_retrieve(account=self.acct, payment_method_id=pm_id)
        except gateway.InvalidRequest:
            return None, None
        return _method_from_stripe(pm), pm.customer

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
        for m in SavedPaymentMethod.objects.filter(studio=self.studio, stripe_payment_method_id__in=pm_ids).values(
                "pk", "client_id", "account_id", "stripe_payment_method_id", "is_default", "kind", "brand",
                "bank_name", "last4", "exp_month", "exp_year"):
            methods_by_pm.setdefault(m["stripe_payment_method_id"], []).append(m)
        customer_ids = {p.row.customer_old for p in live} | {p.row.customer_new for p in live}
        clients_by_customer: dict[str, set[int]] = {}
        for cid, client_id in StripeCustomer.objects.filter(
                studio=self.studio, stripe_customer_id__in=customer_ids).values_list("stripe_customer_id", "client_id"):
            clients_by_customer.setdefault(cid, set()).add(client_id)

        # Who each row is for: our own rows first, then the customer's email at Stripe.
        need_email: dict[str, list[_Plan]] = {}
        for plan in live:
            self._find_client(plan, methods_by_pm, clients_by_customer, need_email)
        if need_email:
            self._match_emails(need_email)
        self._load_clients({p.client_id for p in live if p.client_id is not None and "outcome" not in p.entry})

        # The new methods' details, read from Stripe for every row that may need them, in one go.
        maybe = [p.row.source_new for p in live if "outcome" not in p.entry
                 and p.row.source_new not in self.clients[p.client_id].target_pms
                 and not any(m["account_id"] == self.target.pk for m in methods_by_pm.get(p.row.source_new, []))]
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
        missing = [key for key, value in (("customer_old", row.customer_old), ("source_old", row.source_old),
                                          ("source_new", row.source_new)) if not value]
        if missing:
            return self._skip(plan, Outcome.MALFORMED, "missing", fields=missing)
        for key, value, prefixes in (("customer_old", row.customer_old, CUSTOMER_PREFIXES),
                                     ("customer_new", row.customer_new, CUSTOMER_PREFIXES),
                                     ("source_old", row.source_old, SOURCE_PREFIXES),
                                     ("source_new", row.source_new, SOURCE_PREFIXES)):
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

    def _find_client(self, plan: _Plan, methods_by_pm: dict[str, list[dict]],
                     clients_by_customer: dict[str, set[int]], need_email: dict[str, list[_Plan]]) -> None:
        row = plan.row
        owners = {m["client_id"] for m in methods_by_pm.get(row.source_old, []) if m["account_id"] != self.target.pk}
        owners |= {m["client_id"] for m in methods_by_pm.get(row.source_new, []) if m["account_id"] == self.target.pk}
        by_customer = clients_by_customer.get(row.customer_old, set()) | clients_by_customer.get(row.customer_new,
                                                                                                   set())
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
        for client_id, email in (Client.objects.filter(studio=self.studio, archived_at__isnull=True)
                                 .annotate(email_lower=Lower("email"))
                                 .filter(email_lower__in=set(emails.values()))
                                 .values_list("pk", "email_lower")):
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
        people = {pk: (f"{first} {last}".strip(), home) for pk, first, last, home in
                  Client.objects.filter(pk__in=new).values_list("pk", "first_name", "last_name", "home_location_id")}
        customers = dict(StripeCustomer.objects.filter(client_id__in=new, account=self.target)
                         .values_list("client_id", "stripe_customer_id"))
        counts = dict(SavedPaymentMethod.objects.filter(client_id__in=new).values("client_id")
                      .annotate(n=Count("pk")).values_list("client_id", "n"))
        states = {}
        for pk in new:
            name, home = people.get(pk, ("?", None))
            states[pk] = _ClientState(name=name, count=counts.get(pk, 0), target_pms=set(), foreign=[],
                                      target_customer=customers.get(pk), elsewhere=self._routes_elsewhere(home))
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
        existing = [m for m in methods_by_pm.get(row.source_old, [])
                    if m["account_id"] != self.target.pk and m["client_id"] == plan.client_id]
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
            state.default_pm, state.default_reason, state.default_expired = row.source_new, "old_default", expired
            state.default_entry = index
        elif state.default_pm is None or (state.default_reason == "first" and state.default_expired and not expired):
            plan.make_default, plan.demote = True, state.default_pm
            state.default_pm, state.default_reason, state.default_expired = row.source_new, "first", expired
            state.default_entry = index

    def finish(self) -> dict:
        defaults = 0
        for state in self.clients.values():
            if (state.default_entry is not None and state.default_reason in ("old_default", "first")
                    and self.report[state.default_entry].get("outcome") in Outcome.MOVING):
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
        return {"counts": counts, "rows": len(self.report), "clients": len(touched), "defaults": defaults,
                "routes_elsewhere": len(elsewhere), "sources": sources}

    # --- writing one chunk (apply only) -----------------------------------------------------------
    def write_chunk(self, plans: list[_Plan], done: int) -> None:
        moving = [p for p in plans if p.entry.get("outcome") in Outcome.MOVING]
        with transaction.atomic():
            self.check_current(lock=True)
            if moving:
                self._write(moving)
            MigrationImport.objects.filter(pk=self.migration.pk).update(
                progress_done=done, summary=self._heartbeat())

    def _write(self, moving: list[_Plan]) -> None:
        """Write one chunk's decisions in a few statements, re-checking what may have changed since
        the plan (a colleague's save, another run): such rows are reported, never forced."""
        client_ids = sorted({p.client_id for p in moving})
        list(Client.objects.select_for_update().filter(pk__in=client_ids).order_by("pk").values_list("pk"))
        counts = dict(SavedPaymentMethod.objects.filter(client_id__in=client_ids).values("client_id")
                      .annotate(n=Count("pk")).values_list("client_id", "n"))
        customers = {c.client_id: c for c in StripeCustomer.objects.filter(client_id__in=client_ids,
                                                                          account=self.target)}
        taken = set(SavedPaymentMethod.objects.filter(
            studio=self.studio, account=self.target,
            stripe_payment_method_id__in=[p.row.source_new for p in moving]).values_list(
            "stripe_payment_method_id", flat=True))
        to_move = SavedPaymentMethod.objects.select_for_update().in_bulk(
            [p.existing_pk for p in moving if p.existing_pk is not None])
        defaults_before = dict(SavedPaymentMethod.objects.filter(client_id__in=client_ids, account=self.target,
                                                                 is_default=True)
                               .values_list("client_id", "stripe_payment_method_id"))
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
                    studio=self.studio, client_id=cid, account=self.target, stripe_customer_id=row.customer_new,
                    idempotency_key=f"customer:{cid}:{self.target.pk}")
                new_customers.append(customer)
            elif not customer.stripe_customer_id:  # a first save is creating one right now: ours is the copy
                StripeCustomer.objects.filter(pk=customer.pk, stripe_customer_id="").update(
                    stripe_customer_id=row.customer_new)
                customer.stripe_customer_id = row.customer_new
            elif customer.stripe_customer_id != row.customer_new:
                self._changed(plan)
                continue
            if plan.existing_pk is not None:
                old = to_move.get(plan.existing_pk)
                if old is None or (old.account_id, old.stripe_payment_method_id) != (plan.existing_account_id,
                                                                                     row.source_old):
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
            SavedPaymentMethod.objects.filter(client_id__in=replaced, account=self.target, is_default=True).update(
                is_default=False)
        if new_customers:
            StripeCustomer.objects.bulk_create(new_customers)
        moved, added = [], []
        for plan in accepted:
            row, method = plan.row, plan.method
            is_default = default_of.get(plan.client_id) == row.source_new
            customer = customers[plan.client_id]
            if plan.existing_pk is not None:
                old = to_move[plan.existing_pk]
                old.account, old.customer, old.stripe_payment_method_id = self.target, customer, row.source_new
                old.is_default, old.exp_month, old.exp_year = is_default, method.exp_month, method.exp_year
                moved.append(old)
            else:
                added.append(SavedPaymentMethod(
                    studio=self.studio, client_id=plan.client_id, account=self.target, customer=customer,
                    stripe_payment_method_id=row.source_new, kind=method.kind, brand=method.brand[:40],
                    bank_name=method.bank[:100], last4=method.last4[:4], exp_month=method.exp_month,
                    exp_year=method.exp_year, account_holder=method.holder, is_default=is_default,
                    source=SavedPaymentMethod.Source.MIGRATION, created_by=self.actor.user))
        if moved:
            self._repoint(moved)
        if added:
            SavedPaymentMethod.objects.bulk_create(added)
        by_new_id = {m.stripe_payment_method_id: m for m in (*moved, *added)}
        AuditLog.objects.bulk_create([AuditLog(
            studio=self.studio, actor=self.actor.user, ip_address=self.actor.ip_address,
            action="payments.saved_method_migrated" if plan.existing_pk is not None else "payments.saved_method_added",
            object_type="savedpaymentmethod", object_id=str(by_new_id[plan.row.source_new].pk),
            object_repr=entry_method(plan.entry)[:200],
            changes={"migration": self.migration.pk, "line": plan.row.line, "account": str(self.target),
                     "from": plan.row.source_old, "to": plan.row.source_new,
                     "default": by_new_id[plan.row.source_new].is_default,
                     "source": SavedPaymentMethod.Source.MIGRATION}) for plan in accepted])

    def _repoint(self, moved: list[SavedPaymentMethod]) -> None:
        """One UPDATE … FROM (VALUES …) for the chunk's re-pointed methods (bulk_update's CASE per
        column costs seconds per chunk). Raw SQL skips the scope: the studio is in the WHERE."""
        table = connection.ops.quote_name(SavedPaymentMethod._meta.db_table)
        values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::varchar, %s::boolean, %s::integer, "
                            "%s::integer)"] * len(moved))
        params: list = []
        for m in moved:
            params += [m.pk, m.account_id, m.customer_id, m.stripe_payment_method_id, m.is_default, m.exp_month,
                       m.exp_year]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET account_id = v.account_id, customer_id = v.customer_id, "  # noqa: S608
                f"stripe_payment_method_id = v.pm, is_default = v.is_default, exp_month = v.exp_month, "
                f"exp_year = v.exp_year FROM (VALUES {values}) AS v(id, account_id, customer_id, pm, is_default, "
                f"exp_month, exp_year) WHERE t.id = v.id AND t.studio_id = %s", [*params, self.studio.pk])

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
                progress_done=done, summary=self._heartbeat())


def _describe_method(entry: dict, method: _Method) -> None:
    entry["kind"] = method.kind
    if method.brand:
        entry["brand"] = method.brand
    if method.bank:
        entry["bank"] = method.bank
    if method.last4:
        entry["last4"] = method.last4
    if method.exp_month and method.exp_year:
        entry["exp"] = f"{method.exp_month:02d}/{method.exp_year}"


def _describe_db_method(entry: dict, m: dict) -> None:
    _describe_method(entry, _Method(kind=m["kind"], brand=m["brand"], bank=m["bank_name"], last4=m["last4"],
                                    exp_month=m["exp_month"], exp_year=m["exp_year"], holder=""))


def chunks(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
