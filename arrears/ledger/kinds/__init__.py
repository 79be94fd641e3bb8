"""The kinds of record that `arrears import` and `arrears export` know, by name."""

from .base import Kind
from .clients import Clients
from .contacts import Contacts
from .contracts import Contracts
from .invoices import Invoices
from .settlements import CreditNotes, Payments
from .time_entries import TimeEntries
from .write_offs import WriteOffs

# In the order a new ledger is filled: each kind refers only to kinds before it, and every
# allocation an export names (write-offs, credit notes, payments) is in place before a
# payment's unallocated rest is spent, so an export imports back to the same ledger.
KINDS: dict[str, type[Kind]] = {
    k.name: k
    for k in (Clients, Contacts, Contracts, Invoices, WriteOffs, CreditNotes, Payments, TimeEntries)
}
