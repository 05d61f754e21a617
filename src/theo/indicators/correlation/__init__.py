"""Correlation engine: rolling Pearson, Spearman and Kendall, streaming and batch, on aligned bars."""

from theo.indicators.correlation.aligned import AlignedPair
from theo.indicators.correlation.batch import (
    CorrelationMatrix,
    align,
    correlation_matrix,
    log_returns,
    rolling_corr,
    rolling_pair,
)
from theo.indicators.correlation.rolling import METHODS, RollingCorrelation

__all__ = [
    "METHODS",
    "AlignedPair",
    "CorrelationMatrix",
    "RollingCorrelation",
    "align",
    "correlation_matrix",
    "log_returns",
    "rolling_corr",
    "rolling_pair",
]
