"""Views of compression what-ifs: channel groups, and the tables of `adapt` and `distill`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table

from costmodel.compress.distill import DistillStep
from costmodel.compress.groups import ChannelGroup
from costmodel.compress.netadapt import AdaptStep
from costmodel.present.units import human_seconds


def _members_text(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... (+{len(names) - limit})" if len(names) > limit else "")


def groups_table(groups: list[ChannelGroup]) -> Table:
    """One row per channel group: its channels, members, depthwise followers and whether it prunes."""
    table = Table(title="channel groups (channels that must be pruned together)")
    for header, justify in (
        ("group", "left"),
        ("channels", "right"),
        ("members", "right"),
        ("prunable", "left"),
        ("tied layers", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for group in groups:
        table.add_row(
            group.name,
            str(group.channels),
            str(len(group.members)),
            "yes" if group.prunable else f"no ({group.reason})",
            _members_text(list(group.members[1:]) + list(group.followers)),
        )
    return table


def groups_json(groups: list[ChannelGroup]) -> str:
    """The groups as JSON: name, channels, members, followers, prunable, reason."""
    rows = [
        {
            "name": g.name,
            "channels": g.channels,
            "members": list(g.members),
            "followers": list(g.followers),
            "prunable": g.prunable,
            "reason": g.reason,
        }
        for g in groups
    ]
    return json.dumps({"groups": rows}, indent=2) + "\n"


def distill_table(step: DistillStep) -> Table:
    """Per training step of distillation: the teacher's forward, the student's forward and backward."""
    table = Table(
        title=f"distillation step: teacher {step.teacher} -> student {step.student} (batch {step.batch})"
    )
    for header in ("part", "MACs", "latency [EST]"):
        table.add_column(header, justify="left" if header == "part" else "right")
    rows = (
        ("teacher forward", step.teacher_forward_macs, step.teacher_forward_s),
        ("student forward", step.student_forward_macs, step.student_forward_s),
        ("student backward", step.student_backward_macs, step.student_backward_s),
        ("step", step.step_macs, step.step_s),
    )
    for part, macs, seconds in rows:
        table.add_row(part, f"{macs:,}", human_seconds(seconds))
    table.caption = (
        f"student inference speed-up {step.speedup:.2f}x · compression {step.compression:.2f}x "
        f"({step.teacher_params:,} -> {step.student_params:,} params) · backward latency = 2 x forward "
        "latency [EST]"
    )
    return table


def adapt_table(
    steps: Sequence[AdaptStep],
    target_s: float,
    accuracy: str = "accuracy: proxy = % of the original MACs kept (not a measured top-1)",
    is_proxy: bool = True,
) -> Table:
    """The NetAdapt trajectory: per step the group shrunk, latency, MACs and the accuracy, whose
    source `accuracy` is the caption (the column says "(proxy)" when it is one)."""
    first = steps[0]
    table = Table(
        title=f"NetAdapt trajectory to {human_seconds(target_s)} ({100 * target_s / first.latency_s:.1f}%)"
    )
    for header in (
        "step",
        "group",
        "channels",
        "latency",
        "% of original",
        "MACs",
        "params",
        "accuracy (proxy)" if is_proxy else "accuracy",
    ):
        table.add_column(header, justify="left" if header == "group" else "right")
    for step in steps:
        table.add_row(
            str(step.step),
            step.group or "(original)",
            f"{step.channels_before} -> {step.channels_after}" if step.group else "",
            human_seconds(step.latency_s),
            f"{100 * step.latency_s / first.latency_s:.1f}%",
            f"{step.macs:,}",
            f"{step.params:,}",
            f"{step.accuracy:.1f}",
        )
    table.caption = accuracy
    return table


def distill_json(step: DistillStep) -> str:
    """The step for machines: exact numbers under unit-suffixed keys, with `schema_version`."""
    from costmodel.present.versioned import versioned

    return json.dumps(versioned(step.to_dict()), indent=2) + "\n"


def distill_csv(step: DistillStep) -> str:
    """The step as one CSV row under a header of the JSON's keys (exact numbers)."""
    import csv
    import io

    values = step.to_dict()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(values)
    writer.writerow(values.values())
    return out.getvalue()
