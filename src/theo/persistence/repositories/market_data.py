"""Every market-data table of one store behind one object: what the recorder, the importer and replay use."""

from __future__ import annotations

from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.feed_events import FeedEventRepository
from theo.persistence.repositories.quarantine import QuarantineRepository
from theo.persistence.repositories.ticks import TickRepository


class MarketDataRepository(TickRepository, BarRepository, QuarantineRepository, FeedEventRepository):
    """Ticks, bars, quarantine and feed events of one store.

    Satisfies :class:`theo.data.recorder.RecordingStore`, :class:`theo.data.importer.ImportStore`,
    :class:`theo.data.feeds.database.ReplayStore`, :class:`theo.data.bars.sql.TickBuckets` and the
    bar stores of :mod:`theo.indicators.source` and :mod:`theo.node.data`.
    """
