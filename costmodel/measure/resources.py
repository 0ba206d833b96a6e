"""Will a measurement fit in this machine's memory? Checked before the ONNX export, so that
`measure --batch 1000000` is one clear line instead of an attempt to allocate hundreds of GiB.

The estimate [EST] is deliberately generous, from the analysis of the same fp32 graph:

- weights three times: the ONNX model being built, its serialized bytes, and the session's copy
  (costmodel/measure/runner.py drops the model once the session holds the weights, but all three
  exist for a moment);
- activations twice the analysed peak: onnxruntime's arena does not find the smallest peak and
  rounds its blocks up;
- the random input batch, once.
"""

from __future__ import annotations

import os

from costmodel.errors import CostModelError, ErrorCode

FP32_BYTES = 4
WEIGHT_COPIES = 3
ACTIVATION_FACTOR = 2
USABLE_SHARE = 0.8  # of the available memory: leave room for the interpreter and everyone else


def memory_needed_bytes(params: int, peak_activation_bytes: int, input_elements: int) -> int:
    """The estimate of the module docstring, in bytes."""
    return (
        WEIGHT_COPIES * params * FP32_BYTES
        + ACTIVATION_FACTOR * peak_activation_bytes
        + input_elements * FP32_BYTES
    )


def available_memory_bytes() -> int | None:
    """Memory available to a new allocation (Linux: MemAvailable; elsewhere the free pages), or
    None when the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None


def check_fits(needed: int, available: int | None, batch: int) -> None:
    """Refuse a measurement whose estimate exceeds the usable share of the available memory."""
    if available is None or needed <= USABLE_SHARE * available:
        return
    gib = 2**30
    raise CostModelError(
        ErrorCode.LIMIT,
        f"measuring at batch {batch} needs about {needed / gib:.1f} GiB [EST] (weights, activations, "
        f"input at fp32), more than the {USABLE_SHARE * available / gib:.1f} GiB this machine can "
        "spare; lower --batch",
    )
