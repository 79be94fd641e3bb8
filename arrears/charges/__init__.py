"""Late fees, interest and exchange rates: the rate history users add, and what was charged."""
