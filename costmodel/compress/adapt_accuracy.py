"""The accuracy sources of the search (design/accuracy.py) for NetAdapt's designs.

`costmodel adapt --accuracy SOURCE` takes what `costmodel search --accuracy` takes:

- `proxy` (the default): NetAdapt's own proxy, the % of the original MACs kept (labelled "proxy");
- `FILE.csv` / `csv:FILE`: measured top-1 of named designs, columns `name` and `accuracy`: the
  original under its spec name, each proposal under `DESIGN_stepNN_GROUP` (the group shrunk at
  step NN; `compress/netadapt.proposal_name`); a missing name is an error naming it;
- `module:function`: called with each design's `Spec` (the pruned graph written as a spec and read
  back, as `--out-dir` writes it), returning top-1 in %.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.compress.netadapt import Accuracy
from costmodel.design.accuracy import PROXY, accuracy_source
from costmodel.graph.model import Graph
from costmodel.spec.schema import Spec

MACS_KEPT = "accuracy: proxy = % of the original MACs kept (not a measured top-1)"


@dataclass(frozen=True)
class AdaptAccuracy:
    """What `adapt` scores designs with: `score` (None: NetAdapt's MACs-kept proxy) and its label."""

    score: Accuracy | None
    description: str  # one line saying where the numbers come from
    is_proxy: bool


def adapt_accuracy(text: str = PROXY) -> AdaptAccuracy:
    """The source named `text` ('proxy', 'FILE.csv', 'csv:FILE' or 'module:function')."""
    if text == PROXY:
        return AdaptAccuracy(None, MACS_KEPT, True)
    source = accuracy_source(text)  # checks the text, reads the CSV or imports the callable now
    needs_spec = source.kind == "callable"

    def score(graph: Graph, name: str, macs: int) -> float:
        return source.by_spec(_spec_of(graph, name) if needs_spec else graph.spec, name, macs)

    return AdaptAccuracy(score, source.describe(), False)


def _spec_of(graph: Graph, name: str) -> Spec:
    """`graph` as a Spec named `name`: the spec `--out-dir` would write, read back."""
    from costmodel.compress.design import spec_text
    from costmodel.spec.model import parse_spec

    return parse_spec(spec_text(graph, name), f"{name}.yaml")
