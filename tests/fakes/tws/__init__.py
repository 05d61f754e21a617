"""A protocol-faithful fake TWS / IB Gateway for tests (text API, server version 178 by default).

>>> fake = FakeTws(accounts=("DU1234567",))
>>> await fake.start()          # binds 127.0.0.1:0 -> fake.port
>>> with running_fake() as fake: ...   # the same in a daemon thread
"""

from tests.fakes.tws.orders import FakeExecution, FakeOrder
from tests.fakes.tws.runner import running_fake
from tests.fakes.tws.server import FARM_NOTICES, FakeTws
from tests.fakes.tws.wire import Frame

__all__ = ["FARM_NOTICES", "FakeExecution", "FakeOrder", "FakeTws", "Frame", "running_fake"]
