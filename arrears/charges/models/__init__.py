"""What the charges app stores: rate history the user adds, exchange rates, charges made."""

from .charge import Charge, ChargeKind
from .rates import FxRate, ReferenceRate

__all__ = ["Charge", "ChargeKind", "FxRate", "ReferenceRate"]
