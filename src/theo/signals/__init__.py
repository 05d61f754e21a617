"""Generated signals: validation of the SignalGeneration fields (plan §4) and their persistence."""

from theo.signals.store import SignalStore, StoredSignal
from theo.signals.validation import SignalRecord, validate_record

__all__ = ["SignalRecord", "SignalStore", "StoredSignal", "validate_record"]
