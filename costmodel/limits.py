"""Every cap costmodel enforces, in one place.

Each limit keeps a hostile or mistyped input from hanging the tool or eating the machine, while
leaving room for real models. A value past a limit is error E301 (`ErrorCode.LIMIT`) at the place
that holds it; docs/spec-format.md lists them for users. Code reads them as `limits.NAME` at
call time, so a test can lower one with `monkeypatch.setattr(limits, "NAME", ...)`.
"""

from __future__ import annotations

# -- files and YAML (costmodel/spec/yamlsrc.py, files.py) --------------------------------------
MAX_FILE_BYTES = 4 * 1024 * 1024  # a hand-written spec is a few KB; 4 MB leaves room for generated ones
MAX_VALUES = 200_000  # YAML values after alias expansion: caps alias bombs
MAX_DEPTH = 64  # nesting of YAML mappings/sequences
MAX_NUMBER_CHARS = 100  # a number literal; far longer ones are typos or attacks

# -- expressions (costmodel/spec/expr.py) --------------------------------------------------------
MAX_EXPRESSION_CHARS = 500
MAX_POWER_EXPONENT = 64  # 2 ** 64 is plenty for a channel count; 10 ** 10**9 would hang
MAX_INT_BITS = 1024  # integer results; ((10**64)**64)**64... would otherwise grow without bound
MAX_ROUND_DIGITS = 64  # round(5, -10**9) takes forever

# -- op attributes (costmodel/ops/attrs.py) ------------------------------------------------------
MAX_CHANNELS = 65_536  # channels, kernel sizes, groups: anything larger is a typo or an attack
MAX_INT = MAX_CHANNELS  # any integer attribute
MAX_PADDING = 16_384
MAX_SPATIAL = 16_384  # pixels a side of the input (and of --resolution)
MAX_RANK = 8  # axes of a tensor (a shape, a permutation)
MAX_VOCAB = 1_048_576  # embedding rows: 256k vocabularies (Gemma) with room to spare
MAX_SEQUENCE = 1_048_576  # tokens of an input or positions of a KV cache: 1M-token contexts

# -- graph expansion (costmodel/graph/) ------------------------------------------------------------
# 250k nodes is 100x NASNet-A Large and is reached in ~2 s with ~100 MB; 1M took 8 s and 360 MB
# to reject (benchmarks/bench_scale.py measures 100k-node graphs).
MAX_NODES = 250_000
MAX_LAYER_VISITS = 500_000  # layers expanded, skipped ones included: bounds recursive blocks
MAX_REPEAT = 10_000
MAX_BLOCK_DEPTH = 32
MAX_TENSOR_ELEMENTS = 2**34  # per sample

# -- analysis options (costmodel/cost/options.py) ------------------------------------------------
MAX_BATCH = 1_000_000
MIN_WIDTH, MAX_WIDTH = 0.0, 16.0  # width multiplier in (0, 16]
MIN_DEPTH_MULT = 0.0  # depth multiplier in (0, 16] (repeats scaled, then MAX_REPEAT)
MAX_DEPTH_MULT = 16.0

# -- memory schedule (costmodel/cost/memory/) ----------------------------------------------------
EXACT_SCHEDULE_MAX_KERNELS = 16  # the exact min-peak search is exponential in the kernel count

# -- sweeps (costmodel/cost/sweep.py) -------------------------------------------------------------
MAX_VARIANTS = 100_000

# -- diff alignment (costmodel/present/compare.py) -------------------------------------------------
MAX_DP_CELLS = 400_000  # above this a gap is aligned by difflib alone (still order-keeping)

# -- hardware profiles (costmodel/hw/profile.py) ---------------------------------------------------
MAX_RATE = 1e18  # MAC/s or B/s
MIN_EFFICIENCY = 1e-6
MAX_PJ = 1e6  # energy per MAC, op or byte

# -- measured latencies (costmodel/hw/measurements.py) ---------------------------------------------
MIN_LATENCY_MS = 1e-6  # one nanosecond: below it a number is a unit mistake (and 1e-300 overflows MAPE)
MAX_LATENCY_MS = 1e9  # eleven days
MAX_MEASUREMENTS = 10_000  # rows of a CSV; each one is a full analysis

# -- measurement (costmodel/measure/) --------------------------------------------------------------
MAX_MODEL_BYTES = 2**31 - 2**26  # protobuf's 2 GB limit, less room for the graph itself
MAX_THREADS = 256
MAX_RUNS = 100_000
MAX_WARMUP = 10_000
