"""Cold archive of old ticks: write-once Parquet files with a SHA-256 manifest."""

from theo.persistence.archive.checks import Problem, RestoreReport, VerifyReport, restore, verify_archive
from theo.persistence.archive.config import ArchiveConfig, parse_age
from theo.persistence.archive.service import Archiver, RunReport, cutoff_for, et_midnight

__all__ = [
    "ArchiveConfig",
    "Archiver",
    "Problem",
    "RestoreReport",
    "RunReport",
    "VerifyReport",
    "cutoff_for",
    "et_midnight",
    "parse_age",
    "restore",
    "verify_archive",
]
