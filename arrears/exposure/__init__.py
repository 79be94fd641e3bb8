"""Exposure and internal escalation: per-client exposure, the stand-down recommendation, alerts
that reach people, the leadership digest, disputes routed by reason."""
