"""A fake Telegram Bot API server for tests (protocol-fakes §3).

>>> fake = FakeBotApi(); base_url = fake.start()   # http://127.0.0.1:<port>/bot
>>> Bot("123456:TEST-token_abc", base_url=base_url)
"""

from tests.fakes.telegram.server import BOT, Failure, FakeBotApi, Limits, Recorded

__all__ = ["BOT", "Failure", "FakeBotApi", "Limits", "Recorded"]
