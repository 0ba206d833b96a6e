"""costmodel: an analytical cost model for neural network architectures.

Params, MACs, memory traffic, peak activation memory, roofline latency and energy of a network
described in YAML, on a hardware profile. From Python:

    import costmodel
    result = costmodel.analyze("mbv3_small", hw="snapdragon855", width=0.75)
    print(result.totals.macs, result.totals.latency_s)

Pipeline (each arrow a pure function in its own module): spec/ (validated models) -> graph/
(primitive-op graph with shapes) -> cost/counting.py (params, MACs, bytes) -> cost/memory.py (DRAM
traffic) -> cost/roofline.py (one cost record per node) -> cost/analysis.py (AnalysisResult) ->
present/ (tables, JSON). The command line is the top-level `cli` module (`python -m costmodel`).

The public names below are imported on first use, so `import costmodel` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AnalysisOptions",
    "AnalysisResult",
    "Cost",
    "CostModelError",
    "DiffResult",
    "GroupBy",
    "Row",
    "SweepPoint",
    "__version__",
    "analyze",
    "diff",
    "load_profile",
    "load_spec",
    "lut",
    "search",
    "sweep",
]

# Where each public name lives: the one place a lazy lookup and the type checker agree on.
_HOMES = {
    "analyze": "costmodel.api",
    "sweep": "costmodel.api",
    "diff": "costmodel.api",
    "load_spec": "costmodel.api",
    "load_profile": "costmodel.api",
    "search": "costmodel.api",
    "lut": "costmodel.api",
    "AnalysisOptions": "costmodel.cost.options",
    "AnalysisResult": "costmodel.cost.analysis",
    "Row": "costmodel.cost.records",
    "Cost": "costmodel.cost.records",
    "SweepPoint": "costmodel.cost.sweep",
    "DiffResult": "costmodel.present.compare",
    "CostModelError": "costmodel.errors",
    "GroupBy": "costmodel.names",
}

if TYPE_CHECKING:
    from costmodel.api import analyze, diff, load_profile, load_spec, lut, search, sweep
    from costmodel.cost.analysis import AnalysisResult
    from costmodel.cost.options import AnalysisOptions
    from costmodel.cost.records import Cost, Row
    from costmodel.cost.sweep import SweepPoint
    from costmodel.errors import CostModelError
    from costmodel.names import GroupBy
    from costmodel.present.compare import DiffResult
else:  # hidden from type checkers, so that a misspelt name is an error there, not an Any

    def __getattr__(name: str) -> Any:
        """Import a public name on first use (PEP 562) and keep it."""
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module 'costmodel' has no attribute '{name}'")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
