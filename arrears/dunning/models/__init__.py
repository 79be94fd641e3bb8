from .dispute import Dispute, DisputeReason
from .message import Message, Run
from .outbox import (
    ActionStatus,
    Approval,
    ApprovalItem,
    Decision,
    OutboxAction,
    OutboxItem,
    StepRecord,
    StepState,
)
from .policy import PolicyVersion
from .promise import Promise, PromiseStatus

__all__ = [
    "ActionStatus",
    "Approval",
    "ApprovalItem",
    "Decision",
    "Dispute",
    "DisputeReason",
    "Message",
    "OutboxAction",
    "OutboxItem",
    "PolicyVersion",
    "Promise",
    "PromiseStatus",
    "Run",
    "StepRecord",
    "StepState",
]
