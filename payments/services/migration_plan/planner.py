"""The row planner of the migration import (PAY-10): one object per run, in three phases.

1. reading the file and Stripe (here), 2. deciding each row (`deciding`), 3. writing a chunk
(`writing`, apply only).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor

from django.utils import timezone

from payments import gateway
from payments.models import (
    ConnectedAccount,
    ConnectedAccountLocation,
    MigrationImport,
)
from payments.models.settings import Channel, ItemKind
from payments.services.migration_plan.deciding import Deciding
from payments.services.migration_plan.file import COLUMNS, header_of, read_records
from payments.services.migration_plan.state import _ClientState, _Method, _method_from_stripe, _Row
from payments.services.migration_plan.writing import Writing
from payments.services.routing import Purchase, route_with
from studio.models import Location
from studio.services import Actor

CUSTOMER_CACHE_SIZE = 2048


class Planner(Deciding, Writing):
    """One run (dry run or apply) over an import's rows: phase 1 here (the file, Stripe reads)."""

    def __init__(
        self,
        migration: MigrationImport,
        *,
        apply: bool,
        actor: Actor,
        run: str | None,
        pool: Executor | None = None,
    ):
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
        links = {
            link.location_id: link.account
            for link in ConnectedAccountLocation.objects.filter(studio=self.studio).select_related("account")
        }
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
            values = {
                key: (cells[i].strip() if i is not None and i < len(cells) else "")
                for key, i in positions.items()
            }
            yield _Row(
                line=line,
                customer_old=values["customer_old"],
                customer_new=values["customer_new"] or values["customer_old"],
                source_old=values["source_old"],
                source_new=values["source_new"],
            )

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
            route = route_with(
                purchase=Purchase(
                    channel=Channel.ONLINE,
                    item_kind=ItemKind.MEMBERSHIP,
                    client_home_location=self._locations.get(home_location_id),
                ),
                by_location=links,
                default=default,
            )
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
