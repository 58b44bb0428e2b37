"""The project's JSON hooks for node data (``pipeline.eri.codec.DATA_JSON_*_PATH``): a ``Money`` type."""

import json
from decimal import Decimal


class Money:
    def __init__(self, amount: str, currency: str):
        self.amount = Decimal(amount)
        self.currency = currency

    def __eq__(self, other):
        return isinstance(other, Money) and (self.amount, self.currency) == (other.amount, other.currency)

    def __repr__(self):
        return f"Money({str(self.amount)!r}, {self.currency!r})"


class MoneyEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Money):
            return {"__money__": [str(o.amount), o.currency]}
        return super().default(o)


def money_object_hook(obj: dict):
    if set(obj) == {"__money__"}:
        return Money(*obj["__money__"])
    return obj
