"""The signal scanner."""
