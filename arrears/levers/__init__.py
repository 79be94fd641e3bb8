"""Service levels, their hooks, credential escrow and the time-entry guard (issue 6)."""
