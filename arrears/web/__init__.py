"""The staff web UI: login, home, health. The full UI comes with its own issue."""
