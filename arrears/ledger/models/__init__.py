"""The ledger's models, one module per concept."""

from . import protection  # noqa: F401  (its receivers keep money records from deletion)
from .client import Client, Contact, ContactRole, ContactRoleAssignment
from .contract import Contract, Engagement
from .document import Document, DocumentKind
from .invoice import OPEN_STATUSES, Invoice, InvoiceLine, InvoiceStatus, derive_status
from .organisation import Membership, Organisation, Role
from .payment import Allocation, AllocationKind, CreditNote, Payment, PaymentMethod
from .time_entry import TimeEntry

__all__ = [
    "OPEN_STATUSES",
    "Allocation",
    "AllocationKind",
    "Client",
    "Contact",
    "ContactRole",
    "ContactRoleAssignment",
    "Contract",
    "CreditNote",
    "Document",
    "DocumentKind",
    "Engagement",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Membership",
    "Organisation",
    "Payment",
    "PaymentMethod",
    "Role",
    "TimeEntry",
    "derive_status",
]
