"""A drop-in for ``tf.compat.v1.train.warm_start`` that runs on checkpoint files through the
warm-start function's HTTP API (standard library only)."""
from .client import (
    RetryableError,
    WarmStartError,
    WarmStartValueError,
    spec_of,
    warm_start,
)

__all__ = [
    "RetryableError",
    "WarmStartError",
    "WarmStartValueError",
    "spec_of",
    "warm_start",
]
__version__ = "0.2.0"
