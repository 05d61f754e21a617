"""Serve a fake TWS forever: ``python -m tests.fakes.tws --port 7497 --symbols AAPL,SPY --tick-interval 0.5``.

A random walk of trades and quotes is streamed for the symbols (and works resting orders).
"""

from __future__ import annotations

import argparse
import asyncio
import random

from tests.fakes.tws.server import FakeTws


async def _main(args: argparse.Namespace) -> None:
    fake = FakeTws(accounts=tuple(args.accounts.split(",")), port=args.port)
    await fake.start()
    print(f"fake TWS listening on 127.0.0.1:{fake.port}", flush=True)
    symbols = [s for s in args.symbols.split(",") if s]
    prices = {s: 100.0 + 10 * i for i, s in enumerate(symbols)}
    rng = random.Random(args.seed)
    for symbol in symbols:
        if fake.refdata.by_symbol(symbol) is None:
            fake.add_stock(symbol)
    while True:
        await asyncio.sleep(args.tick_interval)
        for symbol in symbols:
            price = max(round(prices[symbol] * (1 + rng.gauss(0, 0.001)), 2), 0.01)
            prices[symbol] = price
            fake.push_quote(symbol, round(price - 0.01, 2), round(price + 0.01, 2), 100 * rng.randint(1, 9),
                            100 * rng.randint(1, 9))
            fake.push_trade(symbol, price, 100 * rng.randint(1, 5))


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=7497)
    parser.add_argument("--symbols", default="AAPL,SPY")
    parser.add_argument("--tick-interval", type=float, default=0.5)
    parser.add_argument("--accounts", default="DU1234567")
    parser.add_argument("--seed", type=int, default=None)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
