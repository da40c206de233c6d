"""SQLAlchemy models of the store (the shop's side, not the support desk's).

Dates are absolute: the demo data's day offsets are resolved when it is seeded. Money is kept
in kuruş (integer minor units), exact on every database. Times are moments: aware UTC in
Python, naive UTC in the columns (actions/store/types.py); the shopper reads them in Istanbul time.
"""
from sqlalchemy import (
    Boolean, Column, Date, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from actions.store.types import UtcDateTime

Base = declarative_base()


class StoreMeta(Base):
    """Key/value facts about the loaded data, e.g. the moment the demo offsets count from."""

    __tablename__ = "store_meta"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)


class Carrier(Base):
    __tablename__ = "carriers"
    code = Column(String(32), primary_key=True)
    name = Column(String(100), nullable=False)
    tracking_url = Column(String(500), nullable=False)


class Product(Base):
    __tablename__ = "products"
    sku = Column(String(32), primary_key=True)
    name = Column(String(200), nullable=False)
    category = Column(String(64), nullable=False)
    price_kurus = Column(Integer, nullable=False)
    returnable = Column(Boolean, nullable=False)
    warranty_months = Column(Integer, nullable=False, default=0)


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    email = Column(String(254), nullable=False, unique=True, index=True)
    phone = Column(String(32), nullable=False)
    city = Column(String(100), nullable=False)
    member_since = Column(Date, nullable=False)
    marketing_consent = Column(Boolean, nullable=False, default=False)
    orders = relationship("Order", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    order_no = Column(String(16), primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(32), nullable=False)
    subtotal_kurus = Column(Integer, nullable=False)
    shipping_fee_kurus = Column(Integer, nullable=False)
    total_kurus = Column(Integer, nullable=False)
    payment_method = Column(String(32), nullable=False)
    installments = Column(Integer, nullable=False, default=1)
    shipping_city = Column(String(100), nullable=False)
    invoice_no = Column(String(64))
    placed_at = Column(UtcDateTime, nullable=False)
    estimated_delivery = Column(Date)  # the promise made at checkout, also before shipping
    cancelled_at = Column(UtcDateTime)
    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", cascade="all, delete-orphan")
    shipment = relationship("Shipment", back_populates="order", uselist=False, cascade="all, delete-orphan")


class Shipment(Base):
    """The parcel of an order once it is handed to a carrier."""

    __tablename__ = "shipments"
    order_no = Column(String(16), ForeignKey("orders.order_no"), primary_key=True)
    carrier_code = Column(String(32), ForeignKey("carriers.code"), nullable=False)
    tracking_no = Column(String(64), nullable=False)
    shipped_at = Column(UtcDateTime, nullable=False)
    delivered_at = Column(UtcDateTime)
    order = relationship("Order", back_populates="shipment")
    carrier = relationship("Carrier")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_no", "sku"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(16), ForeignKey("orders.order_no"), nullable=False, index=True)
    sku = Column(String(32), ForeignKey("products.sku"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_kurus = Column(Integer, nullable=False)
    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    rma_code = Column(String(16), primary_key=True)
    order_no = Column(String(16), ForeignKey("orders.order_no"), nullable=False, index=True)
    sku = Column(String(32), ForeignKey("products.sku"), nullable=False)
    quantity = Column(Integer, nullable=False)
    reason = Column(String(32), nullable=False)
    status = Column(String(32), nullable=False)
    opened_at = Column(UtcDateTime, nullable=False)
    return_cargo_code = Column(String(32))
    refund_amount_kurus = Column(Integer)
    order = relationship("Order")
    product = relationship("Product")


class ComplaintTicket(Base):
    """A complaint as the shopper wrote it, with a reference they can quote."""

    __tablename__ = "complaint_tickets"
    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(32), nullable=False, unique=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), index=True)
    order_no = Column(String(16), ForeignKey("orders.order_no"), index=True)
    category = Column(String(32), nullable=False)
    text = Column(Text, nullable=False)
    language = Column(String(2), nullable=False, default="tr")
    conversation_id = Column(String(128), index=True)
    status = Column(String(32), nullable=False, default="acik")
    created_at = Column(UtcDateTime, nullable=False)
    respond_by = Column(UtcDateTime, nullable=False)


class FailedProof(Base):
    """A wrong e-mail/phone given for an order number: further attempts from the same
    conversation or client wait longer and longer (actions/verification.py)."""

    __tablename__ = "failed_proofs"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(16), nullable=False, index=True)  # also unknown numbers: no FK
    failed_at = Column(UtcDateTime, nullable=False)
    conversation_id = Column(String(128), index=True)  # Rasa's sender id (empty on rows from before)
    client = Column(String(128))  # the shopper's address as the bridge saw it, else the conversation id


class ProofAlert(Base):
    """Many failed proofs for one order number from anywhere: shown to the agents."""

    __tablename__ = "proof_alerts"
    # One alert per order number and window, also when two action servers raise it at once.
    __table_args__ = (UniqueConstraint("order_no", "window_no"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_no = Column(String(16), nullable=False)
    window_no = Column(Integer, nullable=False)  # raised_at in whole alert windows since the epoch
    raised_at = Column(UtcDateTime, nullable=False)
    failures = Column(Integer, nullable=False)
    clients = Column(Integer, nullable=False)
