"""Positions folded from fills (average cost), one formula for ours and the paper broker's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Folded:
    net: int
    average: Decimal
    realised: Decimal  # realised by this fill alone (gross of charges)


def fold(net: int, average: Decimal, quantity: int, price: Decimal) -> Folded:
    """The position after a fill of signed ``quantity`` at ``price``.

    Adding keeps a quantity-weighted average; reducing realises ``(price - average)`` per unit
    in the position's direction; a fill through zero opens the rest at ``price``."""
    if quantity == 0:
        return Folded(net, average, ZERO)
    if net == 0 or (net > 0) == (quantity > 0):
        total = abs(net) + abs(quantity)
        return Folded(net + quantity, (abs(net) * average + abs(quantity) * price) / total, ZERO)
    closing = min(abs(quantity), abs(net))
    direction = 1 if net > 0 else -1
    realised = closing * (price - average) * direction
    after = net + quantity
    if after == 0:
        return Folded(0, ZERO, realised)
    if (after > 0) != (net > 0):  # flipped: the remainder opened at this price
        return Folded(after, price, realised)
    return Folded(after, average, realised)
