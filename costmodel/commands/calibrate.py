"""`costmodel validate-latency` and `costmodel calibrate`: a profile against measured latencies."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, HwOpt, console, run, write_output
from costmodel.hw import load_profile


class LeaveOut(str, Enum):
    """What a held-out score leaves out (hw/calibration.py LEAVE_OUT)."""

    MODEL = "model"
    RESOLUTION = "resolution"


MeasurementsArg = Annotated[
    list[Path],
    typer.Argument(
        help="CSV files of measured latencies: columns spec, latency_ms, and optionally width, "
        "resolution, precision, batch, label; '#' lines are comments. Or per-layer timings (columns "
        "model, batch, dtype, layer, type, in_shape, out_shape, kernel, stride, groups, ms). Several "
        "files: each is one measurement campaign and gets its own fitted level."
    ),
]


def validate_latency_command(measurements: MeasurementsArg, hw: HwOpt = "snapdragon855") -> None:
    """Predicted vs measured latency: MAPE, share within ±10% and ±25%, Spearman rank correlation."""
    from costmodel.hw.calibration import validate_latency
    from costmodel.present import terminal

    run(
        lambda: console().print(
            terminal.latency_report_view(validate_latency(measurements, load_profile(hw)))
        )
    )


def calibrate_command(
    measurements: MeasurementsArg,
    hw: HwOpt = "snapdragon855",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the calibrated profile here (YAML).")
    ] = None,
    loo: Annotated[
        bool,
        typer.Option(
            "--loo/--no-loo", help="Also score leave-one-model-out predictions (one fit per model)."
        ),
    ] = True,
    leave_out: Annotated[
        LeaveOut,
        typer.Option(
            "--leave-out",
            help="Held-out scores leave out every measurement of one model, or of one input "
            "resolution (then the resolution exponents are held-out predictions too).",
        ),
    ] = LeaveOut.MODEL,
    prior: Annotated[
        str | None,
        typer.Option(
            "--prior",
            help="Profile whose efficiencies, overhead and bandwidth the fit starts from "
            "(default: --hw itself).",
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Fit a profile to measured latencies.

    Fits the efficiency of each op class, the per-kernel overhead, the achievable DRAM bandwidth
    and per-precision efficiency scales: least squares on log latency, with a weak prior toward
    the profile's values (or --prior's). Needs scipy: pip install 'costmodel\\[calibrate]'.
    """
    import yaml

    from costmodel.hw.calibration import calibrate, calibrated_profile_dict
    from costmodel.present import terminal

    def body() -> None:
        profile = load_profile(hw)
        report = calibrate(
            measurements, profile, loo, load_profile(prior) if prior else None, leave_out=leave_out.value
        )
        console().print(terminal.latency_report_view(report))
        if output is not None:
            assert report.params is not None and report.fitted is not None
            data = calibrated_profile_dict(
                profile, report.params, report.measurements_file, report.fitted, report.loo
            )
            data["name"] = output.stem
            write_output(output, yaml.safe_dump(data, sort_keys=False, width=100), force)
            load_profile(str(output))  # what we wrote must load

    run(body)
