"""Weight sparsity what-ifs: unstructured (a fraction of zeros) and N:M structured (2:4).

Storage formats, whose bytes replace a sparse layer's dense weight bytes:
- unstructured, fraction s: the kept values (params - floor(params * s)) in the layer's precision,
  plus one 16-bit index per kept value (its position within its row: CSR-like, row offsets left
  out as negligible);
- N:M: N values kept in every group of M (ceil(params / M) groups), plus ceil(log2 M) bits of
  index metadata per kept value: 2 bits for 2:4, as NVIDIA's sparse tensor cores store it
  (NVIDIA Ampere GA100 whitepaper, 2020).
MACs are skipped only on a unit whose profile declares a 2:4 speedup for the layer's precision
(`sparse_2to4_speedup`); elsewhere only the bytes change. Only dense conv, 1x1 conv and linear
layers are sparsified (the layers sparse tensor cores accelerate).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import re

from costmodel.cost.counting import NodeCount
from costmodel.cost.precision import BYTES_PER_ELEMENT, GlobIndex
from costmodel.errors import CostModelError, ErrorCode
from costmodel.names import OpClass

SPARSE_OP_CLASSES = frozenset({OpClass.CONV, OpClass.POINTWISE, OpClass.LINEAR})
UNSTRUCTURED_INDEX_BITS = 16
_N_OF_M = re.compile(r"^(\d+):(\d+)$")


def parse_sparsity(text: str) -> tuple[str, str]:
    """'stage4.*=0.5' or 'head.*=2:4' -> (glob, pattern text), checked."""
    glob, equals, value = (part.strip() for part in text.partition("="))
    if not equals or not glob or not value:
        raise CostModelError(
            ErrorCode.OPTION,
            f"--sparsity expects GLOB=FRACTION or GLOB=N:M (e.g. 'stage4.*=2:4'), got {text!r}",
        )
    check_pattern(glob, value)
    return glob, value


def check_pattern(glob: str, value: str) -> None:
    """A fraction in (0, 1) or N:M with 0 < N < M <= 16."""
    structured = _N_OF_M.match(value)
    if structured:
        n, m = int(structured[1]), int(structured[2])
        if not 0 < n < m <= 16:
            raise CostModelError(
                ErrorCode.OPTION, f"--sparsity {glob}: N:M needs 0 < N < M <= 16, got {value}"
            )
        return
    try:
        fraction = float(value)
    except ValueError:
        fraction = math.nan
    if not 0 < fraction < 1:
        raise CostModelError(
            ErrorCode.OPTION, f"--sparsity {glob}: expected a fraction in (0, 1) or N:M, got {value!r}"
        )


def sparse_weight_bytes(params: int, precision: str, value: str) -> int:
    """Bytes of `params` weights stored in the format of `value` (values + index overhead)."""
    size = BYTES_PER_ELEMENT[precision]
    structured = _N_OF_M.match(value)
    if structured:
        n, m = int(structured[1]), int(structured[2])
        kept = math.ceil(params / m) * n
        index_bits = max(1, math.ceil(math.log2(m)))
    else:
        kept = params - math.floor(params * float(value))
        index_bits = UNSTRUCTURED_INDEX_BITS
    return math.ceil(kept * size) + math.ceil(kept * index_bits / 8)


def apply_sparsity(
    counts: list[NodeCount], rules: tuple[tuple[str, str], ...], speedups: dict[str, float]
) -> list[NodeCount]:
    """`counts` with the weights of sparse layers in their compressed bytes and, for 2:4 on a
    precision in `speedups` (the profile's declared 2:4 speed-up per compute precision), their MACs
    run that much faster. The first matching rule wins; a rule that matches no eligible layer is an error."""
    if not rules:
        return counts
    index = GlobIndex(tuple(glob for glob, _ in rules))
    used: set[int] = set()
    taken: dict[str, int] = {}  # eligible layer -> the rule that took it (for the error below)
    out: list[NodeCount] = []
    for count in counts:
        rule = (
            index.first_match(count.name)
            if count.op_class in SPARSE_OP_CLASSES and count.params and not count.stored_weight_delta
            else None
        )
        if rule is None:
            out.append(count)
            continue
        used.add(rule)
        taken[count.name] = rule
        value = rules[rule][1]
        speedup = speedups.get(count.compute, 1.0) if value == "2:4" else 1.0
        out.append(
            dataclasses.replace(
                count,
                weight_bytes=sparse_weight_bytes(count.params, count.precision, value),
                mac_speedup=count.mac_speedup * speedup,  # x a Winograd speed-up (cost/algorithms.py)
            )
        )
    unused = [glob for i, (glob, _) in enumerate(rules) if i not in used]
    if unused:
        raise CostModelError(ErrorCode.OPTION, _unused_rule_message(unused[0], rules, taken))
    return out


def _unused_rule_message(glob: str, rules: tuple[tuple[str, str], ...], taken: dict[str, int]) -> str:
    """Why `glob` sparsified nothing: it matches no eligible layer, or earlier rules took all of
    the layers it matches (first match wins), named."""
    shadowed = [name for name in taken if fnmatch.fnmatchcase(name, glob)]
    if not shadowed:
        return f"--sparsity '{glob}' matches no conv or linear layer with weights"
    earlier = list(dict.fromkeys(rules[taken[name]][0] for name in shadowed))
    by = " and ".join(f"'{g}'" for g in earlier)
    rule_word = "rule" if len(earlier) == 1 else "rules"
    return (
        f"--sparsity '{glob}': the {len(shadowed)} layer(s) it matches (e.g. '{shadowed[0]}') were all "
        f"taken by the earlier {rule_word} {by} (the first matching rule wins; put '{glob}' first)"
    )
