from .dispute import Dispute, DisputeReason
from .promise import Promise, PromiseStatus

__all__ = ["Dispute", "DisputeReason", "Promise", "PromiseStatus"]
