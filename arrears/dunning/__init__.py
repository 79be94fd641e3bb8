"""The dunning engine's state: promises and disputes (policies and the outbox come with it)."""
