"""`costmodel validate-latency` and `costmodel calibrate`: a profile against measured latencies."""

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, HwOpt, console, run, write_output
from costmodel.hw import HardwareProfile, load_profile


class LeaveOut(str, Enum):
    """What a held-out score leaves out (hw/calibration.py LEAVE_OUT)."""

    MODEL = "model"
    RESOLUTION = "resolution"


class PerFile(str, Enum):
    """What each measurement file after the first gets of its own (hw/calibrate.py PER_FILE)."""

    LEVEL = "level"
    OVERHEAD = "overhead"
    NONE = "none"


MeasurementsArg = Annotated[
    list[Path],
    typer.Argument(
        help="CSV files of measured latencies: columns spec, latency_ms, and optionally width, "
        "resolution, precision, batch, label; '#' lines are comments. Or per-layer timings (columns "
        "model, batch, dtype, layer, type, in_shape, out_shape, kernel, stride, groups, ms). Several "
        "files: each is one measurement campaign and gets its own fitted level."
    ),
]


RuntimeOpt = Annotated[
    str | None,
    typer.Option(
        "--runtime",
        help="Runtime the measurements were taken with (see `costmodel runtimes`); default: the "
        "profile's own. calibrate -o then writes the fit as the profile's (hardware, runtime) pair.",
    ),
]


def _profile(hw: str, runtime: str | None) -> tuple[HardwareProfile, HardwareProfile]:
    """The profile as loaded, and as the roofline sees it under `runtime`."""
    from costmodel.hw.pairing import with_runtime
    from costmodel.hw.runtime import load_runtime

    profile = load_profile(hw)
    return profile, (with_runtime(profile, load_runtime(runtime)) if runtime else profile)


def validate_latency_command(
    measurements: MeasurementsArg, hw: HwOpt = "snapdragon855", runtime: RuntimeOpt = None
) -> None:
    """Predicted vs measured latency: MAPE, share within ±10% and ±25%, Spearman rank correlation."""
    from costmodel.hw.calibration import validate_latency
    from costmodel.present import terminal

    run(
        lambda: console().print(
            terminal.latency_report_view(validate_latency(measurements, _profile(hw, runtime)[1]))
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
    per_file: Annotated[
        PerFile,
        typer.Option(
            "--per-file",
            help="Several files: what each file after the first gets of its own: a latency level "
            "(campaigns of different runtime releases or units), a per-kernel overhead (one campaign "
            "timed two ways, e.g. single layers and whole models), or none.",
        ),
    ] = PerFile.LEVEL,
    prior: Annotated[
        str | None,
        typer.Option(
            "--prior",
            help="Profile whose efficiencies, overhead and bandwidth the fit starts from "
            "(default: --hw itself).",
        ),
    ] = None,
    runtime: RuntimeOpt = None,
    force: ForceOpt = False,
) -> None:
    """Fit a profile to measured latencies.

    Fits the efficiency of each op class, the per-kernel overhead, the achievable DRAM bandwidth
    and per-precision efficiency scales: least squares on log latency, with a weak prior toward
    the profile's values (or --prior's). Needs scipy: pip install 'costmodel\\[calibrate]'.
    """
    import yaml

    from costmodel.hw.calibration import calibrate, calibrated_profile_dict, fitted_text, pair_override
    from costmodel.present import terminal

    def body() -> None:
        base, profile = _profile(hw, runtime)
        report = calibrate(
            measurements,
            profile,
            loo,
            load_profile(prior) if prior else None,
            leave_out=leave_out.value,
            per_file=per_file.value,
        )
        console().print(terminal.latency_report_view(report))
        if output is not None:
            assert report.params is not None and report.fitted is not None
            if runtime and runtime != base.runtime:  # a (hardware, runtime) pair of the profile
                how = fitted_text(report.measurements_file, report.fitted, report.loo, None)
                data = base.model_dump(exclude={"file"}, exclude_none=True)
                pairs = json.loads(json.dumps(base.runtimes))  # plain dicts: YAML cannot write LocDicts
                data["runtimes"] = {**pairs, runtime: pair_override(profile, report.params, how)}
            else:
                data = calibrated_profile_dict(
                    profile, report.params, report.measurements_file, report.fitted, report.loo
                )
            data["name"] = output.stem
            write_output(output, yaml.safe_dump(data, sort_keys=False, width=100), force)
            load_profile(str(output))  # what we wrote must load

    run(body)
