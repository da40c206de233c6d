"""The store interface on the SQL database (SQLite by default, PostgreSQL by DATABASE_URL)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from actions.store import interface as api
from actions.store import models as db
from actions.store.database import make_sessionmaker
from actions.store.policy import CANCELLABLE_STATUSES, OPEN_RETURN_STATUSES
from actions.store.types import NaiveDatetimeError
from bot.contract import ORDER_DELIVERED

T = TypeVar("T")
FIRST_RMA_NUMBER = 7000
RMA_ATTEMPTS = 3
# What an order record is built from, loaded with the order in a few queries.
ORDER_PARTS = (
    selectinload(db.Order.items).selectinload(db.OrderItem.product),
    selectinload(db.Order.shipment).selectinload(db.Shipment.carrier),
    selectinload(db.Order.customer),
)


def _customer(row: db.Customer) -> api.Customer:
    digits = "".join(ch for ch in row.phone if ch.isdigit())
    return api.Customer(row.id, row.first_name, row.email, digits[-4:], last_name=row.last_name, phone=row.phone,
                        city=row.city, marketing_consent=bool(row.marketing_consent))


def _complaint(row: db.ComplaintTicket) -> api.Complaint:
    return api.Complaint(row.reference, row.category, row.created_at, row.respond_by, row.status)


def _return(row: db.ReturnRequest) -> api.Return:
    return api.Return(
        row.rma_code, row.order_no, row.sku, row.product.name, row.quantity, row.reason, row.status,
        row.opened_at, row.return_cargo_code, row.refund_amount_kurus,
    )


def _order(row: db.Order, returns: List[db.ReturnRequest]) -> api.Order:
    shipment = None
    if row.shipment:
        s = row.shipment
        shipment = api.Shipment(s.carrier.name, s.tracking_no, s.carrier.tracking_url.format(tracking_no=s.tracking_no),
                                s.shipped_at, s.delivered_at)
    items = tuple(
        api.Item(i.sku, i.product.name, i.product.category, i.quantity, i.unit_price_kurus, i.product.returnable,
                 i.product.warranty_months)
        for i in sorted(row.items, key=lambda i: i.id)
    )
    return api.Order(
        row.order_no, _customer(row.customer), row.status, row.placed_at, row.total_kurus, row.payment_method,
        items, shipment, row.estimated_delivery, row.cancelled_at, tuple(_return(r) for r in returns),
    )


class SqlStore:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    @classmethod
    def on(cls, engine: Engine) -> "SqlStore":
        """The store on an engine the process already has (actions/store/database.engine_for)."""
        return cls(make_sessionmaker(engine))

    def _run(self, work: Callable[[Session], T]) -> T:
        try:
            with self.sessions.begin() as session:
                return work(session)
        except IntegrityError:
            raise  # a clash the caller handles (e.g. two returns taking one code)
        except SQLAlchemyError as error:
            if isinstance(getattr(error, "orig", None), NaiveDatetimeError):
                raise error.orig from error  # a caller's bug, not an unreachable shop
            raise api.StoreUnavailable(str(getattr(error, "orig", error))) from error

    @staticmethod
    def _order_row(session: Session, order_no: str) -> Optional[db.Order]:
        return session.scalars(select(db.Order).where(db.Order.order_no == order_no).options(*ORDER_PARTS)).first()

    @staticmethod
    def _returns_of(session: Session, *order_nos: str) -> List[db.ReturnRequest]:
        query = (select(db.ReturnRequest).where(db.ReturnRequest.order_no.in_(order_nos))
                 .options(selectinload(db.ReturnRequest.product)).order_by(db.ReturnRequest.opened_at))
        return list(session.scalars(query))

    def find_order(self, order_no: str) -> Optional[api.Order]:
        def work(session: Session) -> Optional[api.Order]:
            row = self._order_row(session, order_no)
            return _order(row, self._returns_of(session, order_no)) if row else None
        return self._run(work)

    def customer(self, customer_id: int) -> Optional[api.Customer]:
        def work(session: Session) -> Optional[api.Customer]:
            row = session.get(db.Customer, customer_id)
            return _customer(row) if row else None
        return self._run(work)

    def customer_orders(self, customer_id: int, limit: int = 10) -> List[api.Order]:
        def work(session: Session) -> List[api.Order]:
            rows = session.scalars(
                select(db.Order).where(db.Order.customer_id == customer_id)
                .order_by(db.Order.placed_at.desc(), db.Order.order_no.desc()).limit(limit).options(*ORDER_PARTS)
            ).all()
            returns: Dict[str, List[db.ReturnRequest]] = {}
            for ret in self._returns_of(session, *(row.order_no for row in rows)):
                returns.setdefault(ret.order_no, []).append(ret)
            return [_order(row, returns.get(row.order_no, [])) for row in rows]
        return self._run(work)

    def find_return(self, rma_code: str) -> Optional[api.Return]:
        def work(session: Session) -> Optional[api.Return]:
            row = session.get(db.ReturnRequest, rma_code.upper())
            return _return(row) if row else None
        return self._run(work)

    def open_return(self, order_no: str, sku: str, reason: str, now: datetime) -> api.Return:
        def work(session: Session) -> api.Return:
            order = self._order_row(session, order_no)
            item = next((i for i in order.items if i.sku == sku), None) if order else None
            if item is None:
                raise api.StoreRefused("no such item on this order")
            already = session.scalar(select(func.count()).select_from(db.ReturnRequest).where(
                db.ReturnRequest.order_no == order_no, db.ReturnRequest.sku == sku,
                db.ReturnRequest.status.in_(OPEN_RETURN_STATUSES)))
            if already:
                raise api.StoreRefused("a return for this item is already open")
            numbers = [int(code.split("-")[1]) for code in session.scalars(select(db.ReturnRequest.rma_code))]
            number = max(numbers, default=FIRST_RMA_NUMBER - 1) + 1
            row = db.ReturnRequest(
                rma_code=f"IADE-{number}", order_no=order_no, sku=sku, quantity=item.quantity, reason=reason,
                status="acildi", opened_at=now, return_cargo_code=f"{secrets.randbelow(10**8):08d}",
                refund_amount_kurus=item.unit_price_kurus * item.quantity,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return _return(row)
        for attempt in range(RMA_ATTEMPTS):
            try:
                return self._run(work)
            except IntegrityError as error:  # another return took the same code at the same moment
                if attempt == RMA_ATTEMPTS - 1:
                    raise api.StoreUnavailable("could not allocate a return code") from error
        raise AssertionError("unreachable")

    def cancel_order(self, order_no: str, now: datetime) -> api.Order:
        def work(session: Session) -> api.Order:
            # One conditional UPDATE: an order shipped a moment ago is never cancelled.
            changed = session.execute(
                update(db.Order)
                .where(db.Order.order_no == order_no, db.Order.status.in_(CANCELLABLE_STATUSES))
                .values(status="iptal_edildi", cancelled_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed != 1:
                raise api.StoreRefused("order can no longer be cancelled")
            return _order(self._order_row(session, order_no), self._returns_of(session, order_no))
        return self._run(work)

    def customer_complaints(self, customer_id: int) -> List[api.Complaint]:
        query = (select(db.ComplaintTicket).where(db.ComplaintTicket.customer_id == customer_id)
                 .order_by(db.ComplaintTicket.created_at.desc(), db.ComplaintTicket.id.desc()))
        return self._run(lambda session: [_complaint(row) for row in session.scalars(query)])

    def record_failed_proof(self, order_no: str, now: datetime, conversation_id: str, client: str) -> None:
        self._run(lambda session: session.add(db.FailedProof(
            order_no=order_no[:16], failed_at=now, conversation_id=conversation_id[:128], client=client[:128])))

    def proof_failures(self, since: datetime, *, conversation_id: Optional[str] = None, order_no: Optional[str] = None,
                       client: Optional[str] = None) -> api.FailureCount:
        proof = db.FailedProof
        query = select(func.count(), func.max(proof.failed_at)).where(proof.failed_at >= since)
        if conversation_id is not None:
            query = query.where(proof.conversation_id == conversation_id[:128])
        if order_no is not None:
            query = query.where(proof.order_no == order_no[:16])
        if client is not None:
            query = query.where(proof.client == client[:128])
        count, last_at = self._run(lambda session: session.execute(query).one())
        return api.FailureCount(count, last_at)

    def raise_proof_alert(self, order_no: str, now: datetime, window: timedelta,
                          threshold: int) -> Optional[api.ProofAlert]:
        since = now - window

        def work(session: Session) -> Optional[api.ProofAlert]:
            proof = db.FailedProof
            failures, clients = session.execute(
                select(func.count(), func.count(func.distinct(func.coalesce(proof.client, proof.conversation_id))))
                .where(proof.order_no == order_no, proof.failed_at >= since)).one()
            if failures < threshold or session.scalar(select(func.count()).select_from(db.ProofAlert).where(
                    db.ProofAlert.order_no == order_no, db.ProofAlert.raised_at >= since)):
                return None
            window_no = int(now.timestamp() // window.total_seconds())
            session.add(db.ProofAlert(order_no=order_no, window_no=window_no, raised_at=now, failures=failures,
                                      clients=clients))
            session.flush()
            return api.ProofAlert(order_no, now, failures, clients)
        try:
            return self._run(work)
        except IntegrityError:
            return None  # another action server raised this window's alert a moment ago

    def proof_alerts_since(self, since: datetime) -> List[api.ProofAlert]:
        alert = db.ProofAlert
        query = select(alert).where(alert.raised_at >= since).order_by(alert.raised_at, alert.id)
        return self._run(lambda session: [api.ProofAlert(row.order_no, row.raised_at, row.failures, row.clients)
                                          for row in session.scalars(query)])

    def delivered_orders(self, delivered_from: datetime, delivered_until: datetime) -> List[api.Delivery]:
        query = (select(db.Order.order_no, db.Order.customer_id, db.Customer.first_name, db.Customer.email,
                        db.Customer.marketing_consent, db.Shipment.delivered_at)
                 .join(db.Shipment, db.Shipment.order_no == db.Order.order_no)
                 .join(db.Customer, db.Customer.id == db.Order.customer_id)
                 .where(db.Order.status == ORDER_DELIVERED, db.Shipment.delivered_at >= delivered_from,
                        db.Shipment.delivered_at <= delivered_until)
                 .order_by(db.Shipment.delivered_at, db.Order.order_no))
        return self._run(lambda session: [
            api.Delivery(row.order_no, row.customer_id, row.first_name, row.email, bool(row.marketing_consent),
                         row.delivered_at) for row in session.execute(query)])

    def set_marketing_consent(self, customer_id: int, granted: bool) -> bool:
        query = update(db.Customer).where(db.Customer.id == customer_id).values(marketing_consent=granted)
        return self._run(lambda session: session.execute(query).rowcount == 1)
