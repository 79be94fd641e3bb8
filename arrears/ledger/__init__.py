"""The ledger: organisations, clients, contacts, contracts, invoices, payments, time, documents."""
