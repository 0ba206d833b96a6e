"""Knowledge distillation's cost per training step: the teacher's forward pass plus the student's
forward and backward passes (Hinton et al., Distilling the Knowledge in a Neural Network, 2015),
and what the student buys at inference: its speed-up and compression ratio."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from costmodel.cost.analysis import AnalysisResult

BACKWARD_FACTOR = 2  # backward = 2 x forward (input and weight gradients): cost/training.py


@dataclass(frozen=True)
class DistillStep:
    """One distillation step of a batch, and the student against the teacher at inference.

    Latencies of the backward pass are estimates ([EST]): 2 x the forward latency, the MAC
    convention of cost/training.py applied to time."""

    teacher: str
    student: str
    batch: int
    teacher_forward_macs: int
    student_forward_macs: int
    student_backward_macs: int
    teacher_forward_s: float
    student_forward_s: float
    student_backward_s: float
    teacher_params: int
    student_params: int

    @property
    def step_macs(self) -> int:
        return self.teacher_forward_macs + self.student_forward_macs + self.student_backward_macs

    @property
    def step_s(self) -> float:
        return self.teacher_forward_s + self.student_forward_s + self.student_backward_s

    @property
    def speedup(self) -> float:
        """Teacher latency / student latency at inference."""
        return self.teacher_forward_s / self.student_forward_s

    @property
    def compression(self) -> float:
        """Teacher params / student params."""
        return self.teacher_params / self.student_params

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "step_macs": self.step_macs,
            "step_s": self.step_s,
            "speedup": self.speedup,
            "compression": self.compression,
            "backward_latency": "[EST] 2 x forward latency",
        }


def distill_step(teacher: AnalysisResult, student: AnalysisResult) -> DistillStep:
    """The step from the inference analyses of teacher and student (same batch and profile)."""
    return DistillStep(
        teacher=teacher.spec_name,
        student=student.spec_name,
        batch=student.options.batch,
        teacher_forward_macs=teacher.total.macs,
        student_forward_macs=student.total.macs,
        student_backward_macs=BACKWARD_FACTOR * student.total.macs,
        teacher_forward_s=teacher.total.latency_s,
        student_forward_s=student.total.latency_s,
        student_backward_s=BACKWARD_FACTOR * student.total.latency_s,
        teacher_params=teacher.total.params,
        student_params=student.total.params,
    )
