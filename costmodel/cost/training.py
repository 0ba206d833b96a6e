"""The cost of one training step, from the inference counts (`analyze --training`).

Conventions (stated with every training result):
- backward MACs: 2 x the forward MACs of every conv and linear node (one pass for the gradient
  of the input, one for the gradient of the weights, each as many MACs as the forward), the
  first layer included, as the usual "training = 3 x inference" rule counts it;
- backward ops: the forward elementwise ops once more (each activation, norm, add and pool has
  a gradient of the same size);
- activations kept for the backward pass: every non-view node's output, batch included, in the
  compute precision (what autograd saves when nothing is recomputed or freed early);
- weights, gradients (one per weight, in the weights' precision) and Adam's state: two fp32
  moments per parameter; with 16-bit weights (mixed precision) also an fp32 master copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from costmodel.cost.counting import NodeCount

ADAM_MOMENTS = 2  # first and second moment (Kingma & Ba, ICLR 2015)
FP32_BYTES = 4
MIXED_PRECISION = frozenset({"fp16", "bf16"})

CONVENTIONS = (
    "training: backward MACs = 2 x forward MACs of every conv/linear (input and weight gradients); "
    "backward ops = forward elementwise ops",
    "training memory: every non-view output kept for the backward pass; weights + gradients + Adam "
    "(two fp32 moments per parameter) + fp32 master weights when the weights are 16-bit",
)


@dataclass(frozen=True)
class TrainingCost:
    """One training step of a batch: compute and the memory it holds."""

    forward_macs: int
    backward_macs: int
    forward_ops: int
    backward_ops: int
    activation_bytes: int  # kept for the backward pass
    weight_bytes: int
    gradient_bytes: int
    optimizer_bytes: int  # Adam's two fp32 moments
    master_weight_bytes: int  # fp32 copy under mixed precision, else 0

    @property
    def macs(self) -> int:
        """Forward + backward MACs of the step."""
        return self.forward_macs + self.backward_macs

    @property
    def ops(self) -> int:
        return self.forward_ops + self.backward_ops

    @property
    def state_bytes(self) -> int:
        """Weights, gradients, optimiser state and master weights."""
        return self.weight_bytes + self.gradient_bytes + self.optimizer_bytes + self.master_weight_bytes

    @property
    def memory_bytes(self) -> int:
        """State plus the activations kept for the backward pass."""
        return self.state_bytes + self.activation_bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with exact numbers under unit-suffixed keys."""
        return {
            "forward_macs": self.forward_macs,
            "backward_macs": self.backward_macs,
            "macs": self.macs,
            "forward_ops": self.forward_ops,
            "backward_ops": self.backward_ops,
            "activation_bytes": self.activation_bytes,
            "weight_bytes": self.weight_bytes,
            "gradient_bytes": self.gradient_bytes,
            "optimizer_bytes": self.optimizer_bytes,
            "master_weight_bytes": self.master_weight_bytes,
            "memory_bytes": self.memory_bytes,
            "conventions": list(CONVENTIONS),
        }


def training_cost(counts: Sequence[NodeCount]) -> TrainingCost:
    """The training step of the nodes `counts` describes (their batch and precisions)."""
    forward_macs = sum(c.macs for c in counts)
    forward_ops = sum(c.ops for c in counts)
    params = sum(c.params for c in counts)
    weight_bytes = sum(c.weight_bytes for c in counts)
    mixed = sum(c.params for c in counts if c.precision in MIXED_PRECISION)
    return TrainingCost(
        forward_macs=forward_macs,
        backward_macs=2 * forward_macs,
        forward_ops=forward_ops,
        backward_ops=forward_ops,
        activation_bytes=sum(c.out_bytes for c in counts if not c.is_view),
        weight_bytes=weight_bytes,
        gradient_bytes=weight_bytes,
        optimizer_bytes=ADAM_MOMENTS * FP32_BYTES * params,
        master_weight_bytes=FP32_BYTES * mixed,
    )
