"""List prices per million tokens, for cost estimates (not invoices).

Prices change: this table is dated, a model missing from it is priced at zero and the
estimate says so, and ``price_in``/``price_out`` settings are not offered on purpose:
the place to correct a price is this table, reviewed like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11"
BATCH_DISCOUNT = 0.5  # the OpenAI Batch API bills half the list price


@dataclass(frozen=True)
class Price:
    input: float  # USD per 1M input tokens
    output: float  # USD per 1M output tokens


# Longest prefix wins, so "gpt-4.1-mini-2025-04-14" is priced as "gpt-4.1-mini".
PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "deepseek-chat": Price(0.28, 0.42),
    "qwen-plus": Price(0.40, 1.20),
}


def price_for(model: str) -> Price | None:
    name = model.lower().rsplit("/", 1)[-1]
    matches = [key for key in PRICES if name.startswith(key)]
    return PRICES[max(matches, key=len)] if matches else None


def cost(model: str, tokens_in: int, tokens_out: int, *, batch: bool = False) -> float:
    price = price_for(model)
    if price is None:
        return 0.0
    usd = (tokens_in * price.input + tokens_out * price.output) / 1_000_000
    return usd * (BATCH_DISCOUNT if batch else 1.0)
