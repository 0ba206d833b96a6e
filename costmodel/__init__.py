"""costmodel: an analytical cost model for neural network architectures.

Pipeline (each arrow a pure function in its own module):
YAML spec -> spec.py (validated models) -> graph.py (primitive-op graph with shapes)
-> counting.py (params, MACs, bytes) -> memory.py (DRAM traffic) -> roofline.py (latency,
energy) -> analysis.py (AnalysisResult) -> render.py (tables, JSON). cli.py is the only module
that prints or exits.
"""

__version__ = "0.1.0"
