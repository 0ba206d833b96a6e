"""Runtimes: the software that runs a model on a unit, apart from the unit itself (issue 14).

The same chip under TFLite, ncnn, Paddle-Lite or PyTorch differs by 1.5-2.5x: the runtime decides
which ops fuse into one kernel, which algorithm a convolution runs (GEMM or Winograd), which
precision the arithmetic runs in, and what each kernel costs to dispatch. A runtime file
(`runtimes/*.yaml`, bundled like `hardware/`) states those mechanisms; every number carries a
source, as in a hardware profile. How a runtime combines with a profile is costmodel/hw/pairing.py.
"""

from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from costmodel import limits
from costmodel.cost.precision import PRECISIONS
from costmodel.errors import CostModelError, ErrorCode, did_you_mean, excerpt
from costmodel.errors import unknown_name as unknown_name  # re-exported for pairing
from costmodel.ops.registry import OP_CLASSES
from costmodel.spec.files import bundled_dir, is_regular_file, parse_yaml_mapping, read_text
from costmodel.spec.yamlsrc import LocDict, position_of


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class Fusion(str, Enum):
    """Which ops a runtime fuses into one kernel."""

    # An elementwise op (batchnorm, activation, add) joins the kernel of its single producer when it
    # is that producer's only reader: conv + bn + relu run as one kernel (costmodel/cost/memory/fusion.py).
    EPILOGUE = "epilogue"
    NONE = "none"  # one kernel per op (PyTorch eager, CUDA-graph replay of an eager model)


class DenseConv3x3(str, Enum):
    """The algorithm of a dense (groups=1) 3x3 stride-1 convolution (Lavin & Gray, CVPR 2016)."""

    GEMM = "gemm"  # im2col / implicit GEMM: the direct MAC count
    WINOGRAD_F2X2 = "winograd-f2x2"  # F(2x2,3x3): 16 multiplies per 2x2 outputs instead of 36
    WINOGRAD_F4X4 = "winograd-f4x4"  # F(4x4,3x3): 36 multiplies per 4x4 outputs instead of 144

    @property
    def output_tile(self) -> int:
        """m of F(m x m, 3 x 3); 0 for GEMM."""
        return {"gemm": 0, "winograd-f2x2": 2, "winograd-f4x4": 4}[self.value]


class ConvAlgorithms(_Strict):
    dense_3x3_stride1: DenseConv3x3 = DenseConv3x3.GEMM
    depthwise: str = Field(default="direct", pattern="^direct$")  # the only kind modelled
    # Winograd only where both channel counts reach this (runtimes fall back to GEMM for thin layers).
    winograd_min_channels: int = Field(default=1, ge=1, le=limits.MAX_CHANNELS)

    @field_validator("dense_3x3_stride1", mode="before")
    @classmethod
    def _algorithm(cls, value: object) -> object:
        choices = [a.value for a in DenseConv3x3]
        if isinstance(value, str) and value not in choices:
            raise ValueError(unknown_name("algorithm", value, choices))
        return DenseConv3x3(value) if isinstance(value, str) else value


class RelativeSpeed(_Strict):
    """Speed of this runtime's kernels per op class against a reference runtime on the same unit
    ([EST] from published comparisons): used only for a (hardware, runtime) pair without a
    calibration of its own. A class left out runs as fast as under the reference."""

    reference: str
    factors: dict[str, Annotated[float, Field(gt=0, le=100)]]

    @field_validator("factors")
    @classmethod
    def _op_classes(cls, factors: dict[str, float]) -> dict[str, float]:
        for key in factors:
            if key not in OP_CLASSES:
                raise ValueError(
                    f"unknown op class '{excerpt(key)}'{did_you_mean(key, OP_CLASSES)} "
                    f"(op classes: {', '.join(OP_CLASSES)})"
                )
        return factors


class Runtime(_Strict):
    version: int = Field(default=1, ge=1, le=1)
    name: str
    title: str
    fusion: Fusion = Fusion.EPILOGUE
    conv: ConvAlgorithms = ConvAlgorithms()
    # Arithmetic run in another precision than the model's: {fp32: fp16} (ncnn on ARMv8.2 cores),
    # applied where the profile has the target precision.
    arithmetic: dict[str, str] = {}
    # Seconds per kernel dispatch or launch; None: the profile's own overhead_s_per_kernel.
    overhead_s_per_kernel: float | None = Field(default=None, ge=0, le=1)
    # How launches add up (cost/roofline.py): async for a host thread that queues kernels ahead of
    # the device (PyTorch eager); None: the profile's own.
    launch: Literal["serial", "async"] | None = None
    relative_speed: RelativeSpeed | None = None
    sources: dict[str, str]
    notes: str = ""
    file: str = ""

    @field_validator("fusion", mode="before")
    @classmethod
    def _fusion(cls, value: object) -> object:
        choices = [f.value for f in Fusion]
        if isinstance(value, str) and value not in choices:
            raise ValueError(unknown_name("fusion policy", value, choices))
        return Fusion(value) if isinstance(value, str) else value

    @field_validator("arithmetic")
    @classmethod
    def _precisions(cls, arithmetic: dict[str, str]) -> dict[str, str]:
        for name in (*arithmetic, *arithmetic.values()):
            if name not in PRECISIONS:
                raise ValueError(f"unknown precision '{excerpt(name)}'{did_you_mean(name, PRECISIONS)}")
        return arithmetic

    @field_validator("sources")
    @classmethod
    def _has_sources(cls, sources: dict[str, str]) -> dict[str, str]:
        if not sources:
            raise ValueError("a runtime needs sources: where each of its numbers and policies comes from")
        return sources


def list_runtimes() -> list[Path]:
    """The bundled runtime files."""
    return sorted(bundled_dir("runtimes").glob("*.yaml"))


def runtime_names() -> list[str]:
    return [path.stem for path in list_runtimes()]


def resolve_runtime_path(name_or_path: str) -> Path:
    """A runtime file: a YAML path, or a bundled name (unknown: did-you-mean)."""
    path = Path(name_or_path)
    if is_regular_file(path) or path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        return path
    bundled = bundled_dir("runtimes") / f"{name_or_path}.yaml"
    if is_regular_file(bundled):
        return bundled
    names = runtime_names()
    raise CostModelError(ErrorCode.OPTION, unknown_name("runtime", name_or_path, names, "bundled"))


@functools.lru_cache(maxsize=64)  # plan() asks for the runtime of every variant of a sweep or search
def load_runtime(name_or_path: str) -> Runtime:
    """The runtime of a bundled name or YAML path, validated; errors name FILE:LINE."""
    path = resolve_runtime_path(name_or_path)
    data = parse_yaml_mapping(read_text(path), str(path), "runtime")
    try:
        return Runtime.model_validate({**data, "file": str(path)})
    except ValidationError as exc:
        raise located_error(exc, data) from None


def located_error(exc: ValidationError, data: LocDict, prefix: tuple[str, ...] = ()) -> CostModelError:
    """A pydantic error as one CostModelError at the place of the offending value in `data`."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in (*prefix, *loc))
    code = ErrorCode.UNKNOWN_KEY if err["type"] == "extra_forbidden" else ErrorCode.HARDWARE
    message = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    got_text = f", got {got!r}" if isinstance(got, (int, float, str)) else ""
    return CostModelError(
        code, f"{where}: {message}{got_text}" if where else message, pos=position_of(data, loc)
    )
