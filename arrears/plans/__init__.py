"""Payment plans: instalments agreed with a client, which take its invoices off the ladder."""
