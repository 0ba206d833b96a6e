"""Fuzz tests: whatever a spec or a hardware profile holds, the CLI either succeeds (exit 0) or prints
exactly one located error line, `costmodel: FILE:LINE:COL: error[CODE] NODE: message`, and exits 2.
Never a traceback, never an internal error (exit 70), never a hang.

- structure-aware: the bundled specs, block libraries and small generated specs, mutated (keys
  dropped, renamed, added, duplicated; values replaced by scalars, strings, expressions, huge,
  negative, fractional and non-finite numbers, lists, maps, deep nesting; ops swapped; inputs to
  random names; blocks that use themselves or each other; lines duplicated, deleted, truncated);
- random bytes and random (YAML-ish) text as specs and as hardware profiles;
- hardware profile mutations: bad numbers and missing keys are a located E402 (or E103/E107);
- one small file per error code, and the specific attacks of issue 6 with the code they get.

Hypothesis runs derandomized (the same examples on every run) with a modest number of examples.
A hang is caught by a watchdog that dumps every thread's stack and ends the run (`HANG_SECONDS`).
"""

from __future__ import annotations

import copy
import errno
import faulthandler
import io
import json
import math
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ARCHSPECS, ROOT
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from cli import app
from costmodel import limits
from costmodel.ops import registry as ops

runner = CliRunner()

# COSTMODEL_FUZZ_EXAMPLES=5000 runs that many random (not derandomized) examples per fuzz test: a
# longer hunt than CI's. Without it every run tries the same modest set.
EXPLORE = int(os.environ.get("COSTMODEL_FUZZ_EXAMPLES", "0"))
HANG_SECONDS = 120 if not EXPLORE else 120 + EXPLORE  # per test function
FUZZ = settings(
    max_examples=EXPLORE or 60,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

LOCATED = re.compile(
    r"costmodel: (?P<file>.+?):(?P<line>\d+):(?P<col>\d+): "
    r"error\[(?P<code>E\d{3})\] .*\S"
)
UNLOCATED = re.compile(r"costmodel: error\[(?P<code>E\d{3})\] .*\S")


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    """A hang (an exponential expansion, a quadratic parse) fails the run instead of stalling CI."""
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reaching the graph limits (1M nodes, 2M layer visits) takes ~20 s; a fuzzer that makes blocks
    use themselves reaches them often. Lower limits exercise the same checks in milliseconds."""
    monkeypatch.setattr(limits, "MAX_NODES", 20_000)
    monkeypatch.setattr(limits, "MAX_LAYER_VISITS", 40_000)


def check(result: Result, *, unlocated: tuple[str, ...] = ()) -> tuple[str, int | None] | None:
    """The property. Returns (code, line) of the error, or None on success.

    `unlocated`: codes that may come without FILE:LINE:COL (an option value, which has no place
    in a file).
    """
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        raise AssertionError(f"uncaught {type(exc).__name__}: {exc}") from exc
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr!r}"
    if result.exit_code == 0:
        return None
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one error line, got {result.stderr!r}"
    match = LOCATED.match(lines[0])
    if match:
        return match["code"], int(match["line"])
    match = UNLOCATED.match(lines[0])
    assert match and match["code"] in unlocated, f"error without a location: {lines[0]!r}"
    return match["code"], None


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def dump(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=200)


# --- seeds -------------------------------------------------------------------------------------

SPECS = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(ARCHSPECS.glob("*.yaml"))}
LIBRARIES = {
    p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
    for p in sorted((ARCHSPECS / "blocks").glob("*.yaml"))
}
SMALL_SPECS = ("mbv3_small", "mbv1", "squeezenet1_1", "shufflenet_v2_x0_5", "resnet18", "mnasnet_a1")
HW_PATH = ROOT / "hardware" / "snapdragon855.yaml"
TINY = "version: 1\nname: t\ninput: [3, 16, 16]\nstages:\n  s1:\n    - {op: conv2d, out: 8, kernel: 3}\n"
HEAD = "version: 1\nname: t\ninput: [3, 32, 32]\nstages:\n  s1:\n"

OP_NAMES = sorted(n for n in ops.REGISTRY if n != "input")
BLOCK_NAMES = sorted({name for lib in LIBRARIES.values() for name in lib.get("blocks", {})})
KEYS = sorted(
    {
        "version",
        "name",
        "title",
        "source",
        "notes",
        "input",
        "imports",
        "defaults",
        "vars",
        "blocks",
        "stages",
        "params",
        "channels",
        "layers",
        "output",
        "summary",
        "exp",
        "se",
        "in_channels",
        "width_divisor",
        "__pos__",
        "<<",
        "",
        " ",
        "é",
        "a.b",
        "input0",
        "input1",
        "1",
    }
    | {k for op in ops.REGISTRY.values() for k in op.attrs}
    | {"name", "op", "block", "inputs", "repeat", "when", "fixed", "norm", "act", "comment"}
)

NUMBERS = st.sampled_from(
    [
        0,
        -1,
        -8,
        1,
        2,
        3,
        7,
        8,
        16,
        65536,
        65537,
        10**6,
        10**9,
        2**63,
        10**30,
        10**200,
        0.5,
        1.5,
        -0.0,
        -2.5,
        1e308,
        5e-324,
        math.nan,
        math.inf,
        -math.inf,
    ]
)
EXPRESSIONS = st.sampled_from(
    [
        "in_channels * 2",
        "in_channels // 0",
        "in_channels % 0",
        "10**10**10",
        "'a' * 10**9",
        "((((10**64)**64)**64)**64)**64",
        "round(5, -10**9)",
        "'%0999999999d' % 1",
        "float('nan')",
        "float('inf')",
        "(-8) ** 0.5",
        "make_divisible(in_channels * 0.5, 8)",
        "exp",
        "out",
        "in_h",
        "unknown_name",
        "x.y",
        "__import__('os')",
        "1 if in_channels else 'a'",
        "in_channels * * 2",
        "-" * 400 + "1",
        "(" * 100 + "1" + ")" * 100,
        "not " * 100 + "True",
        "min()",
        "int('9' * 40)",
        "max(1, 2, 3)",
        "in_channels > 8 and in_h < 4",
        "stride == 1",
        "act",
        "exp * 10**9",
        "2 ** 0.5",
        "int(1e308) * int(1e308)",
        "ceil(float('inf'))",
        "abs(-3)",
        "make_divisible(10, 0)",
        "make_divisible(1e308, 1e-308)",
        "1" * 600,
        "a\nb",
        "relu",
        "'same'",
        "valid",
        "auto",
        "none",
        "true",
        "[1, 2]",
        "{}",
        "*",
        "&",
        "!!python/object",
    ]
)
SCALARS = st.one_of(
    NUMBERS,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
    EXPRESSIONS,
    st.sampled_from(OP_NAMES + BLOCK_NAMES),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=8,
)
NAMES = st.sampled_from(KEYS) | st.text(max_size=8)


@st.composite
def small_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A small spec of common layers; most are valid, some have shape errors (fine either way)."""
    templates = [
        {
            "op": "conv2d",
            "out": draw(st.sampled_from([4, 8, 16])),
            "kernel": draw(st.sampled_from([1, 3])),
            "stride": draw(st.sampled_from([1, 2])),
            "norm": "batchnorm",
            "act": "relu",
        },
        {"op": "conv2d", "out": 8, "kernel": 3, "groups": 8, "padding": "same"},
        {"op": "relu"},
        {"op": "hardswish"},
        {"op": "maxpool", "kernel": 2},
        {"op": "avgpool", "kernel": 3, "stride": 1, "padding": 1, "ceil_mode": True},
        {"op": "identity"},
        {"op": "dropout", "p": 0.2},
        {"op": "channel_shuffle", "groups": 2},
        {"op": "slice", "start": 0, "stop": 2},
        {"block": "blk", "out": 8},
        {"block": "blk", "out": "in_channels * 2", "stride": 2, "repeat": 2},
    ]
    layers = draw(st.lists(st.sampled_from(range(len(templates))), min_size=1, max_size=6))
    body = [dict(templates[i]) for i in layers]
    for index, layer in enumerate(body):
        layer["name"] = f"l{index}"
    if len(body) >= 2 and draw(st.booleans()):
        body.append(
            {
                "name": "merge",
                "op": draw(st.sampled_from(["add", "concat", "mul"])),
                "inputs": [body[-1]["name"], body[-2]["name"]],
            }
        )
    if draw(st.booleans()):
        body += [{"op": "global_avgpool"}, {"op": "flatten"}, {"op": "linear", "out": 10, "fixed": True}]
    spec: dict[str, Any] = {
        "version": 1,
        "name": "gen",
        "input": [
            draw(st.sampled_from([1, 3, 8])),
            draw(st.sampled_from([1, 7, 32])),
            draw(st.sampled_from([1, 7, 32])),
        ],
        "blocks": {
            "blk": {
                "params": {"out": None, "stride": 1},
                "channels": ["out"],
                "layers": [
                    {
                        "name": "c",
                        "op": "conv2d",
                        "out": "out",
                        "kernel": 3,
                        "stride": "stride",
                        "norm": "batchnorm",
                        "act": "relu",
                    },
                    {"name": "r", "op": "relu"},
                ],
            }
        },
        "stages": {"s1": body},
    }
    if draw(st.booleans()):
        spec["vars"] = {"k": draw(st.sampled_from([1, 2, 8])), "width_divisor": 8}
    return spec


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield prefix, tree
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _paths(value, (*prefix, index))


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _layers(tree: Any) -> list[dict[str, Any]]:
    return [v for p, v in _paths(tree) if isinstance(v, dict) and ("op" in v or "block" in v)]


def _mutate(draw: st.DrawFn, tree: Any) -> Any:  # noqa: C901 - one case per mutation reads best
    """One structural mutation of a parsed YAML tree (returns the new tree)."""
    kind = draw(
        st.sampled_from(
            [
                "replace",
                "replace",
                "drop",
                "rename",
                "insert",
                "duplicate",
                "swap_op",
                "swap_block",
                "inputs",
                "recursive",
                "mutual",
                "deep",
                "when",
                "repeat",
            ]
        )
    )
    paths = [p for p, _ in _paths(tree) if p]
    if not isinstance(tree, dict) or not paths:
        return draw(VALUES)
    path = draw(st.sampled_from(paths))
    parent = _parent(tree, path)
    layers = _layers(tree)
    if kind == "replace":
        parent[path[-1]] = draw(VALUES)
    elif kind == "drop":
        del parent[path[-1]]
    elif kind == "rename" and isinstance(parent, dict):
        new = draw(NAMES)
        items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    elif kind == "insert":
        target = parent if isinstance(parent, dict) else tree
        target[draw(NAMES)] = draw(VALUES)
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
    elif kind == "swap_op" and layers:
        layer = draw(st.sampled_from(layers))
        layer.pop("block", None)
        layer["op"] = draw(
            st.sampled_from(OP_NAMES)
            | st.sampled_from(["conv2", "Conv2d", "input", ""])
            | st.text(max_size=8)
        )
    elif kind == "swap_block" and layers:
        layer = draw(st.sampled_from(layers))
        layer.pop("op", None)
        blocks = sorted(tree.get("blocks") or {}) if isinstance(tree.get("blocks"), dict) else []
        layer["block"] = draw(st.sampled_from(BLOCK_NAMES + blocks + ["nope"]) | st.text(max_size=8))
    elif kind == "inputs" and layers:
        layer = draw(st.sampled_from(layers))
        names = [str(v.get("name")) for v in layers] + ["input", "input0", "input1", "s1.l0"]
        layer["inputs"] = draw(st.lists(st.sampled_from(names) | st.text(max_size=6), max_size=3))
    elif kind in ("recursive", "mutual"):
        blocks = tree.setdefault("blocks", {})
        if not isinstance(blocks, dict):
            return tree
        guard = draw(st.sampled_from([{}, {"when": "d > 0", "d": "d - 1"}]))
        params = {"d": 30} if guard else {}
        if kind == "recursive":
            blocks["self_b"] = {
                "params": params,
                "layers": [{"block": "self_b", **guard}, {"block": "self_b", **guard}, {"op": "identity"}],
            }
            use = {"block": "self_b"}
        else:
            blocks["mut_a"] = {"params": params, "layers": [{"block": "mut_b", **guard}]}
            blocks["mut_b"] = {
                "params": params,
                "layers": [{"block": "mut_a", **guard}, {"block": "mut_a", **guard}],
            }
            use = {"block": "mut_a"}
        stages = tree.get("stages")
        if isinstance(stages, dict) and stages:
            first = next(iter(stages.values()))
            if isinstance(first, list):
                first.insert(draw(st.integers(0, len(first))), use)
    elif kind == "deep":
        depth = draw(st.integers(1, 100))
        value: Any = draw(SCALARS)
        for _ in range(depth):
            value = [value] if draw(st.booleans()) else {"k": value}
        parent[path[-1]] = value
    elif kind == "when" and layers:
        draw(st.sampled_from(layers))["when"] = draw(EXPRESSIONS | SCALARS)
    elif kind == "repeat" and layers:
        draw(st.sampled_from(layers))["repeat"] = draw(
            st.sampled_from([0, -1, 1.5, 2, 3, 10001, 10**9, "10**9", "x", "2 * 2", None, [2]])
        )
    return tree


def _mutate_text(draw: st.DrawFn, text: str) -> str:
    """Line-level damage the tree cannot express: duplicate keys, broken indentation, cut files."""
    kind = draw(st.sampled_from(["none", "none", "dup_line", "del_line", "insert", "truncate"]))
    lines = text.splitlines(keepends=True)
    if kind == "none" or not lines:
        return text
    index = draw(st.integers(0, len(lines) - 1))
    if kind == "dup_line":
        lines.insert(index, lines[index])
    elif kind == "del_line":
        del lines[index]
    elif kind == "insert":
        junk = draw(
            st.sampled_from(
                [
                    "{",
                    "[",
                    "]",
                    ":",
                    "- ",
                    "&a ",
                    "*a",
                    "!!python/object ",
                    "'",
                    '"',
                    "\t",
                    "\x00",
                    "\ufeff",
                    "? ",
                    "<<: ",
                    "%YAML 1.1\n",
                    "---\n",
                ]
            )
            | st.text(max_size=4)
        )
        column = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:column] + junk + lines[index][column:]
    else:
        return text[: draw(st.integers(0, len(text)))]
    return "".join(lines)


@st.composite
def mutated_specs(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """(spec text, {library file name: text}) after 1-3 mutations."""
    libraries: dict[str, str] = {}
    seed = draw(st.sampled_from(["generated", "generated", "bundled", "library"]))
    if seed == "generated":
        tree = draw(small_specs())
    else:
        name = draw(st.sampled_from(SMALL_SPECS if seed == "library" else sorted(SPECS)))
        tree = copy.deepcopy(SPECS[name])
    if seed == "library":  # mutate a block library the spec imports (found beside the spec first)
        lib_name = draw(st.sampled_from(tree["imports"]))
        lib = copy.deepcopy(LIBRARIES[lib_name])
        for _ in range(draw(st.integers(1, 3))):
            lib = _mutate(draw, lib)
        libraries[f"{lib_name}.yaml"] = _mutate_text(draw, dump(lib))
    else:
        for _ in range(draw(st.integers(1, 3))):
            tree = _mutate(draw, tree)
    return _mutate_text(draw, dump(tree)), libraries


# --- 1. structure-aware fuzzing of specs -----------------------------------------------------------

COMMANDS = [
    ["validate"],
    ["validate"],
    ["analyze", "--format", "json"],
    ["analyze", "--top", "2"],
    ["sweep", "--widths", "0.5,1", "--resolutions", "8,16", "--format", "csv"],
]


@pytest.mark.usefixtures("small_limits")
@settings(FUZZ, max_examples=EXPLORE or 100)
@given(case=mutated_specs(), command=st.sampled_from(COMMANDS))
@example(case=(HEAD + "    - {op: conv2d, out: " + "9" * 5000 + ", kernel: 3}\n", {}), command=["validate"])
@example(case=(HEAD + "    - {op: relu, repeat: !!bool maybe}\n", {}), command=["validate"])
@example(case=(HEAD + '    - {op: "conv\\n2d"}\n', {}), command=["analyze"])
@example(case=(HEAD + '    - {op: relu, inputs: ["a\\u2028b"]}\n', {}), command=["validate"])
@example(
    case=(HEAD.replace("input:", "vars: {width_divisor: abc}\ninput:") + "    - {op: relu}\n", {}),
    command=["validate"],
)
@example(
    case=(
        HEAD.replace("input:", "vars: {width_divisor: 0}\ninput:")
        + "    - {op: conv2d, out: 8, kernel: 3}\n",
        {},
    ),
    command=["analyze", "--width", "0.5"],
)
@example(case=(HEAD + "    - {op: conv2d, out: \"'a' * 10**9\", kernel: 3}\n", {}), command=["validate"])
@example(
    case=(HEAD + '    - {op: conv2d, out: "((((10**64)**64)**64)**64)**64", kernel: 3}\n', {}),
    command=["validate"],
)
@example(case=(HEAD + '    - {op: conv2d, out: "round(5, -10**9)", kernel: 3}\n', {}), command=["validate"])
def test_mutated_specs(case: tuple[str, dict[str, str]], command: list[str], tmp_path: Path) -> None:
    text, libraries = case
    (tmp_path / "blocks").mkdir(exist_ok=True)
    for old in (tmp_path / "blocks").iterdir():
        old.unlink()
    for name, library in libraries.items():
        write(tmp_path / "blocks" / name, library)
    spec = write(tmp_path / "spec.yaml", text)
    check(runner.invoke(app, [command[0], str(spec), *command[1:]]))


# --- 2. random bytes and text as specs and as hardware profiles ----------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            "[",
            "]",
            ":",
            ": ",
            "- ",
            ", ",
            " ",
            "  ",
            "\n",
            "\n  ",
            "\n    - ",
            "&a ",
            "*a",
            "'",
            '"',
            "#",
            "!!python/object:os.system ",
            "!!binary ",
            "!!int ",
            "!!float ",
            "? ",
            "<<: ",
            "---",
            "...",
            "%TAG ",
            "|",
            ">",
            "version: 1",
            "name: t",
            "input: [3, 8, 8]",
            "stages:",
            "s1:",
            "op:",
            "relu",
            "conv2d",
            "out:",
            "kernel:",
            "block:",
            "blocks:",
            "layers:",
            "params:",
            "inputs:",
            "repeat:",
            "when:",
            "1",
            "-1",
            "0.5",
            ".nan",
            ".inf",
            "1e400",
            "null",
            "~",
            "true",
            "\t",
            "é",
            "\x85",
            "\u2028",
            "\ufeff",
            "\x00",
        ]
    )
    | st.text(max_size=3),
    max_size=60,
).map("".join)
RANDOM_FILES = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400),
    YAMLISH,
    YAMLISH.map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@pytest.mark.usefixtures("small_limits")
@FUZZ
@given(content=RANDOM_FILES, command=st.sampled_from(COMMANDS))
@example(content=b"\xff\xfe\x00garbage", command=["validate"])
@example(content=b"version: 1\nname: t\n\xc3(: 1\n", command=["analyze"])
@example(content="a: 1" + ":59" * 2000, command=["validate"])
@example(content="!!int ", command=["validate"])  # was an IndexError in PyYAML's constructor
@example(content="a: !!float\nb: !!bool\n", command=["validate"])
def test_random_files_as_specs(content: str | bytes, command: list[str], tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", content)
    check(runner.invoke(app, [command[0], str(spec), *command[1:]]))


@FUZZ
@given(content=RANDOM_FILES)
def test_random_files_as_hardware(content: str | bytes, tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", TINY)
    hw = write(tmp_path / "hw.yaml", content)
    # a parseable profile without the default precision is an option error (E403), not a file one
    check(runner.invoke(app, ["analyze", str(spec), "--hw", str(hw)]), unlocated=("E403",))


# --- 3. hardware profile mutations ---------------------------------------------------------------

HW = yaml.safe_load(HW_PATH.read_text(encoding="utf-8"))
HW_NUMBERS = [
    p
    for p, v in _paths(HW)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and p[0] not in ("version", "sources")
]
# Optional numbers: leaving one out means its documented default (scale 1, no work-model effect).
HW_REQUIRED = [p for p in HW_NUMBERS if p[-1] != "efficiency_scale" and p[0] != "utilisation"]
# Always wrong for any number of a profile (zero and negative are fine for some: energies, overhead).
BAD_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, -1, -1e-9, "abc", "", None, [1], {"a": 1}, 10**400, 1e308, "1e999"]
)


def _hw_file(tmp_path: Path, tree: Any) -> Path:
    return write(tmp_path / "hw.yaml", dump(tree))


@FUZZ
@given(path=st.sampled_from(HW_NUMBERS), value=BAD_NUMBERS)
@example(path=("precisions", "fp32", "peak_macs_per_s"), value=5e-324)  # was a ZeroDivisionError
@example(path=("memory", "onchip", 0, "capacity_bytes"), value=10**200)  # a 201-digit literal
@example(path=("precisions", "fp32", "energy_pj_per_mac"), value=1e308)  # was an inf energy
def test_bad_hardware_numbers_are_located_errors(path: tuple[Any, ...], value: Any, tmp_path: Path) -> None:
    tree = copy.deepcopy(HW)
    _parent(tree, path)[path[-1]] = value
    spec = write(tmp_path / "spec.yaml", TINY)
    result = runner.invoke(app, ["analyze", str(spec), "--hw", str(_hw_file(tmp_path, tree))])
    error = check(result)
    assert error is not None and error[0] in ("E402", "E301", "E106"), (path, value, result.stderr)
    assert error[1] is not None and error[1] > 1, result.stderr


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in HW_NUMBERS
        if p[0] == "efficiency"
        or p[-1] in ("peak_macs_per_s", "dram_bytes_per_s", "capacity_bytes", "efficiency_scale")
    ],
    ids=str,
)
def test_zero_rates_are_located_errors(path: tuple[Any, ...], tmp_path: Path) -> None:
    tree = copy.deepcopy(HW)
    _parent(tree, path)[path[-1]] = 0
    spec = write(tmp_path / "spec.yaml", TINY)
    error = check(runner.invoke(app, ["analyze", str(spec), "--hw", str(_hw_file(tmp_path, tree))]))
    assert error is not None and error[0] == "E402" and error[1] is not None, (path, error)


@FUZZ
@given(path=st.sampled_from(HW_REQUIRED))
def test_missing_hardware_numbers_are_located_errors(path: tuple[Any, ...], tmp_path: Path) -> None:
    tree = copy.deepcopy(HW)
    del _parent(tree, path)[path[-1]]
    spec = write(tmp_path / "spec.yaml", TINY)
    error = check(runner.invoke(app, ["analyze", str(spec), "--hw", str(_hw_file(tmp_path, tree))]))
    assert error is not None and error[0] in ("E402", "E107"), path


@FUZZ
@given(data=st.data())
def test_mutated_hardware(data: st.DataObject, tmp_path: Path) -> None:
    tree = copy.deepcopy(HW)
    for _ in range(data.draw(st.integers(1, 3))):
        tree = _mutate(data.draw, tree)
    hw = write(tmp_path / "hw.yaml", _mutate_text(data.draw, dump(tree)))
    spec = write(tmp_path / "spec.yaml", TINY)
    precision = data.draw(st.sampled_from(["fp32", "int8", "int4", "bf16"]))
    command = ["analyze", str(spec), "--hw", str(hw), "--precision", precision]
    check(runner.invoke(app, command), unlocated=("E403",))
    check(runner.invoke(app, ["hw", "show", str(hw)]))


# --- 4. one small file per error code -----------------------------------------------------------

HW_TEXT = HW_PATH.read_text(encoding="utf-8")


def _hw_with_nan() -> str:
    lines = HW_TEXT.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "dram_bytes_per_s:" in line)
    lines[index] = lines[index].split(":")[0] + ": .nan\n"
    return "".join(lines)


def _hw_nan_line() -> int:
    return next(i for i, line in enumerate(HW_TEXT.splitlines()) if "dram_bytes_per_s:" in line) + 1


# case -> (spec content, hardware content or None, extra options, code, line or None)
# tests/test_errors.py has E101-E106, E108, E201-E203 and E301; these add the rest and variants.
CODE_CASES: dict[str, tuple[str | bytes, str | None, list[str], str, int | None]] = {
    "E107_missing_input": ("version: 1\nname: t\nstages:\n  s1:\n    - {op: relu}\n", None, [], "E107", 1),
    "E107_layer_without_op": (HEAD + "    - {name: a, out: 8}\n", None, [], "E107", 6),
    "E107_block_param": (
        "version: 1\nname: t\ninput: [3, 32, 32]\nimports: [mobilenet]\n"
        "stages:\n  s1:\n    - {block: inverted_residual, exp: 16}\n",
        None,
        [],
        "E107",
        7,
    ),
    "E401_missing_import": (
        "version: 1\nname: t\ninput: [3, 32, 32]\nimports: [mobilenet, nosuch]\n"
        "stages:\n  s1:\n    - {op: relu}\n",
        None,
        [],
        "E401",
        4,
    ),
    "E401_not_utf8": (b"version: 1\nname: t\ninput: [3, 32, 32] \xff\n", None, [], "E401", 3),
    "E402_nan_in_profile": (TINY, _hw_with_nan(), [], "E402", _hw_nan_line()),
    "E403_precision_not_in_profile": (TINY, None, ["--precision", "bf16"], "E403", None),
    "E403_width": (TINY, None, ["--width", "0"], "E403", None),
    "E106_bool_tag": (HEAD + "    - {op: relu, repeat: !!bool maybe}\n", None, [], "E106", 6),
    "E106_width_divisor": (
        "version: 1\nname: t\nvars: {width_divisor: 0}\ninput: [3, 32, 32]\n"
        "stages:\n  s1:\n    - {op: relu}\n",
        None,
        [],
        "E106",
        3,
    ),
    "E104_newline_in_op": (HEAD + '    - {op: "conv\\n2d"}\n', None, [], "E104", 6),
    "E301_number_literal": (
        HEAD + "    - {op: conv2d, out: " + "9" * 5000 + ", kernel: 3}\n",
        None,
        [],
        "E301",
        6,
    ),
    "E301_base60_literal": (HEAD + "    - {op: relu, repeat: 1" + ":59" * 5000 + "}\n", None, [], "E301", 6),
}


@pytest.mark.parametrize("case", sorted(CODE_CASES))
def test_each_error_code(case: str, tmp_path: Path) -> None:
    content, hw_text, options, code, line = CODE_CASES[case]
    spec = write(tmp_path / "spec.yaml", content)
    hw = ["--hw", str(write(tmp_path / "hw.yaml", hw_text))] if hw_text else []
    result = runner.invoke(app, ["analyze", str(spec), *hw, *options])
    assert check(result, unlocated=("E403",) if line is None else ()) == (code, line), result.stderr


def test_every_documented_code_has_a_case() -> None:
    from test_errors import CASES

    documented = set(re.findall(r"^\| (E\d{3}) \|", (ROOT / "docs" / "errors.md").read_text(), re.MULTILINE))
    covered = {code for _, _, _, code, _ in CODE_CASES.values()} | {c for _, c, _ in CASES.values()}
    assert documented and documented <= covered, documented - covered


# --- 5. specific attacks -------------------------------------------------------------------------

BLOCKS = "version: 1\nname: t\ninput: [3, 32, 32]\nblocks:\n"


def _bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return (
        "version: 1\nname: t\ninput: [3, 32, 32]\nvars:\n"
        + "".join(f"  {line}\n" for line in lines)
        + "stages:\n  s1:\n    - {op: relu}\n"
    )


# attack -> (spec text, extra options, expected code, expected line or None)
ATTACKS: dict[str, tuple[str, list[str], str, int | None]] = {
    "alias_bomb": (_bomb(), [], "E301", None),
    "python_object_tag": (
        "version: 1\nname: !!python/object:os.system {}\ninput: [3, 32, 32]\nstages: {s: [{op: relu}]}\n",
        [],
        "E106",
        2,
    ),
    "python_name_tag": (HEAD + "    - {op: !!python/name:os.system relu}\n", [], "E106", 6),
    "python_apply_in_list": (HEAD + "    - !!python/object/apply:os.system [echo]\n", [], "E106", 6),
    "binary_tag": (HEAD + "    - {op: relu, comment: !!binary aGVsbG8=}\n", [], "E106", 6),
    "set_tag": (HEAD + "    - !!set {a, b}\n", [], "E106", 6),
    "repeat_1e9_expression": (HEAD + "    - {op: relu, repeat: '10**9'}\n", [], "E301", 6),
    "repeat_1e9_block": (
        "version: 1\nname: t\ninput: [3, 32, 32]\nimports: [mobilenet]\nstages:\n"
        "  s1:\n    - {block: inverted_residual, exp: 8, out: 8, repeat: 1000000000}\n",
        [],
        "E301",
        7,
    ),
    "channels_1e6": (HEAD + "    - {op: conv2d, out: 1000000, kernel: 1}\n", [], "E301", 6),
    "channels_1e6_in_block": (
        "version: 1\nname: t\ninput: [3, 32, 32]\nimports: [mobilenet]\n"
        "stages:\n  s1:\n    - {block: inverted_residual, exp: 1000000, out: 8}\n",
        [],
        "E301",
        None,
    ),  # located in the library
    "input_channels_1e6": (
        "version: 1\nname: t\ninput: [1000000, 32, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E301",
        3,
    ),
    "input_side_1e9": (
        "version: 1\nname: t\ninput: [3, 1000000000, 1000000000]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E301",
        3,
    ),
    "input_zero": (
        "version: 1\nname: t\ninput: [3, 0, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E106",
        3,
    ),
    "input_negative": (
        "version: 1\nname: t\ninput: [-3, 32, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E106",
        3,
    ),
    "input_fractional": (
        "version: 1\nname: t\ninput: [3, 32.5, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E106",
        3,
    ),
    "input_nan": (
        "version: 1\nname: t\ninput: [3, .nan, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E106",
        3,
    ),
    # any rank from 1 to 8 is an input now ([tokens], [tokens, dim], [C, H, W]); nine is not
    "input_nine_dims": (
        "version: 1\nname: t\ninput: [1, 1, 1, 1, 1, 1, 1, 1, 1]\nstages:\n  s1:\n    - {op: relu}\n",
        [],
        "E106",
        3,
    ),
    "block_uses_itself": (
        BLOCKS + "  b:\n    layers:\n      - {block: b}\nstages:\n  s1:\n    - {block: b}\n",
        [],
        "E301",
        7,
    ),
    "blocks_use_each_other": (
        BLOCKS + "  a:\n    layers:\n      - {block: b}\n  b:\n    layers:\n"
        "      - {block: a}\nstages:\n  s1:\n    - {block: a}\n",
        [],
        "E301",
        10,
    ),
    "expression_10000_deep": (
        HEAD + "    - {op: conv2d, kernel: 1, out: '" + "(" * 10000 + "8" + ")" * 10000 + "'}\n",
        [],
        "E108",
        6,
    ),
    "expression_unary_10000_deep": (
        HEAD + "    - {op: conv2d, kernel: 1, out: '" + "-" * 10000 + "8'}\n",
        [],
        "E108",
        6,
    ),
    "yaml_10000_deep": (
        HEAD + "    - {op: relu, comment: " + "[" * 10000 + "]" * 10000 + "}\n",
        [],
        "E301",
        6,
    ),
    "power_tower": (HEAD + "    - {op: conv2d, kernel: 1, out: 10**10**10}\n", [], "E108", 6),
    "power_of_powers": (
        HEAD + "    - {op: conv2d, kernel: 1, out: '((((10**64)**64)**64)**64)**64'}\n",
        [],
        "E108",
        6,
    ),
    "string_repetition": (HEAD + "    - {op: conv2d, kernel: 1, out: \"'a' * 10**9\"}\n", [], "E108", 6),
    "string_format_width": (
        HEAD + "    - {op: conv2d, kernel: 1, out: \"'%0999999999d' % 1\"}\n",
        [],
        "E108",
        6,
    ),
    "round_huge_digits": (HEAD + "    - {op: conv2d, kernel: 1, out: 'round(5, -10**9)'}\n", [], "E108", 6),
    "huge_integer_literal": (
        HEAD + "    - {op: conv2d, kernel: 1, out: 1" + "0" * 10000 + "}\n",
        [],
        "E301",
        6,
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_rejected(attack: str, tmp_path: Path) -> None:
    text, options, code, line = ATTACKS[attack]
    spec = write(tmp_path / "spec.yaml", text)
    for command in (["validate", str(spec)], ["analyze", str(spec), "--format", "json", *options]):
        error = check(runner.invoke(app, command))
        assert error is not None and error[0] == code, (command, error)
        if line is not None:
            assert error[1] == line, (command, error)


def test_resolution_1e9_is_rejected(tmp_path: Path) -> None:
    spec = write(tmp_path / "spec.yaml", TINY)
    result = runner.invoke(app, ["analyze", str(spec), "--resolution", str(10**9)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert "resolution" in result.stderr


def test_dev_zero_as_a_spec_is_bounded() -> None:
    """Issue 16 class 1: only regular files are read; /dev/zero is refused before a byte is read."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    assert check(runner.invoke(app, ["validate", "/dev/zero"])) == ("E401", 1)


def test_recursion_guarded_by_when_is_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two uses of itself per level, stopped by `when: d > 0` at depth 30: 2^31 expansions of no
    nodes. The layer-visit cap stops it (lowered here so the test is fast)."""
    monkeypatch.setattr(limits, "MAX_LAYER_VISITS", 5_000)
    text = (
        BLOCKS + "  b:\n    params: {d: null}\n    layers:\n"
        "      - {block: b, d: d - 1, when: d > 0}\n      - {block: b, d: d - 1, when: d > 0}\n"
        "stages:\n  s1:\n    - {block: b, d: 30}\n"
    )
    spec = write(tmp_path / "spec.yaml", text)
    error = check(runner.invoke(app, ["validate", str(spec)]))
    assert error is not None and error[0] == "E301"


def test_error_text_is_verbatim(tmp_path: Path) -> None:
    """Names are quoted as written: no rich emoji codes or markup, newlines escaped (one line)."""
    spec = write(tmp_path / "spec.yaml", HEAD + '    - {op: ":smile: [b]x[/b]\\nnext"}\n')
    result = runner.invoke(app, ["analyze", str(spec)])
    assert check(result) == ("E104", 6)
    assert "unknown op ':smile: [b]x[/b]\\nnext'" in result.stderr, result.stderr


# --- issue 16: hostile and unlucky environments -------------------------------------------------------
# Classes 1, 3, 4 and 6 of issue 16, as properties over random cases: file kinds in every role a file
# plays, output streams that fail or cannot encode, markup and control characters in every text field,
# and YAML 1.1 number forms wherever a number goes.

FILE_KINDS = [
    "regular",
    "empty",
    "directory",
    "fifo",
    "link_to_dev_zero",
    "dangling_link",
    "name_too_long",
    "oversized",
    "utf16",
    "bom",
    "latin1",
]
FILE_ROLES = ["spec", "import", "hw", "csv"]
CSV_TEXT = "spec,latency_ms\nmbv3_small,10\n"


def _make_file(tmp_path: Path, kind: str, role: str) -> Path:
    """A file of `kind` in tmp_path, named as `role` expects; regular content is valid."""
    suffix = ".csv" if role == "csv" else ".yaml"
    path = tmp_path / f"target{suffix}"
    regular = {"spec": TINY, "import": "blocks: {}\n", "hw": HW_TEXT, "csv": CSV_TEXT}[role]
    if kind == "name_too_long":
        return tmp_path / ("n" * 5000 + suffix)
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(path)
    elif kind in ("link_to_dev_zero", "dangling_link"):
        path.symlink_to("/dev/zero" if kind == "link_to_dev_zero" else tmp_path / "nowhere")
    elif kind == "oversized":
        write(path, regular)
        os.truncate(path, limits.MAX_FILE_BYTES + 1)  # sparse: no disk used
    else:
        encoded = {"utf16": regular.encode("utf-16"), "bom": b"\xef\xbb\xbf" + regular.encode()}
        latin1 = ("# caf\xe9\n" + regular).encode("latin-1")
        write(path, {"empty": b"", "latin1": latin1}.get(kind, encoded.get(kind, regular.encode())))
    return path


HW_TEXT = (ROOT / "hardware" / "snapdragon855.yaml").read_text(encoding="utf-8")


@settings(FUZZ, max_examples=EXPLORE or len(FILE_KINDS) * len(FILE_ROLES))
@given(kind=st.sampled_from(FILE_KINDS), role=st.sampled_from(FILE_ROLES))
def test_any_file_kind_in_any_role(kind: str, role: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Class 1: whatever sits where a file is expected (a FIFO, a device, a directory, a name too
    long for the OS, a file past the size limit, UTF-16), the run ends with success or one error
    line; the watchdog catches a hang."""
    tmp_path = tmp_path_factory.mktemp("kind")
    target = _make_file(tmp_path, kind, role)
    if role == "spec":
        args = ["validate", str(target)]
    elif role == "import":
        spec = write(tmp_path / "spec.yaml", TINY.replace("input:", f"imports: [{target.name}]\ninput:"))
        args = ["validate", str(spec)]
    elif role == "hw":
        args = ["analyze", "mbv3_small", "--hw", str(target)]
    else:
        args = ["validate-latency", str(target)]
    check(runner.invoke(app, args), unlocated=("E401", "E403"))


class _FailingSink(io.RawIOBase):
    """An output device that takes `room` bytes, then fails with `errno_value` (ENOSPC is a full
    disk or /dev/full, EPIPE a reader that went away, EIO a lost terminal)."""

    def __init__(self, room: int, errno_value: int) -> None:
        self.room, self.errno_value, self.data = room, errno_value, b""

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        if len(self.data) + len(b) > self.room:
            raise OSError(self.errno_value, os.strerror(self.errno_value))
        self.data += bytes(b)
        return len(b)


STREAM_COMMANDS = [
    ["validate", "mbv3_small"],
    ["analyze", "mbv3_small"],
    ["analyze", "mbv3_small", "--format", "json"],
    ["report", "mbv3_small", "--format", "markdown"],
    ["hw", "show", "snapdragon855"],
    ["sweep", "mbv3_small", "--widths", "0.5,1"],
]


@settings(FUZZ, max_examples=EXPLORE or 40)
@given(
    command=st.sampled_from(STREAM_COMMANDS),
    room=st.one_of(st.just(10**9), st.integers(0, 4000)),
    errno_value=st.sampled_from([errno.ENOSPC, errno.EPIPE, errno.EIO]),
    encoding=st.sampled_from(["utf-8", "ascii", "latin-1", "cp1252"]),
)
def test_output_streams_that_fail_or_cannot_encode(
    command: list[str], room: int, errno_value: int, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Class 3: stdout that fills up, breaks or holds only ASCII is the environment: exit 0, 74 with
    one line, or 141 in silence; never 70 or a traceback."""
    from cli import main

    sink = _FailingSink(room, errno_value)
    stdout = io.TextIOWrapper(io.BufferedWriter(sink), encoding=encoding)
    stderr = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "argv", ["costmodel", *command])
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as exit_info:
        main()
    stderr.flush()
    assert isinstance(stderr.buffer, io.BytesIO)
    errors = stderr.buffer.getvalue().decode(encoding)
    code = exit_info.value.code
    if room >= 10**9:
        assert code == 0, errors
    elif errno_value == errno.EPIPE:
        assert code in (0, 141) and errors == "", errors
    else:
        assert code in (0, 74), errors
        if code == 74:
            assert errors.startswith("costmodel: cannot write output: ") and errors.count("\n") == 1


MARKUP = st.lists(
    st.sampled_from(
        [
            "[/bold]",
            "[link=http://evil.example]",
            "[/link]",
            "[red]",
            ":smile:",
            "\x1b[2J",
            "\x1b]0;t\x07",
            "<script>x</script>",
            "=cmd",
            "+1",
            "@A1",
            "|",
            "\\",
            "[a](javascript:x)",
            "\u202e",
            "\r",
            "&amp;",
            "\x00",
            "\x9b",
            "name",
            " ",
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)
SPEC_TEXT_FIELDS = ["name", "title", "source", "notes"]
HW_TEXT_FIELDS = ["title", "unit", "notes"]
MARKUP_COMMANDS = [
    ["analyze"],
    ["report", "--format", "markdown"],
    ["report", "--format", "html"],
    ["report", "--format", "csv"],
    ["sweep", "--widths", "0.5,1"],
    ["sweep", "--widths", "0.5,1", "--format", "csv"],
    ["hw", "show"],
]


@settings(FUZZ, max_examples=EXPLORE or 60)
@given(
    text=MARKUP,
    field=st.sampled_from(SPEC_TEXT_FIELDS + [f"hw.{f}" for f in HW_TEXT_FIELDS]),
    command=st.sampled_from(MARKUP_COMMANDS),
)
def test_markup_in_every_text_field(
    text: str, field: str, command: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Class 4: text from a file is shown as text: no crash, no escape sequence reaches the
    terminal, no live HTML in markdown or HTML, no formula in CSV."""
    tmp_path = tmp_path_factory.mktemp("markup")
    quoted = json.dumps(text)  # a YAML double-quoted scalar
    spec_text, hw_text = TINY, HW_TEXT
    if field.startswith("hw."):
        tree = yaml.safe_load(hw_text)
        tree[field.removeprefix("hw.")] = text
        hw_text = yaml.safe_dump(tree, allow_unicode=False)
    else:
        spec_text = TINY.replace(
            "name: t\n", f"{field}: {quoted}\n" if field == "name" else f"name: t\n{field}: {quoted}\n"
        )
    spec = write(tmp_path / "spec.yaml", spec_text)
    hw = write(tmp_path / "hw.yaml", hw_text)
    args = (
        [*command, str(hw)]
        if command[:2] == ["hw", "show"]
        else [command[0], str(spec), *command[1:], "--hw", str(hw)]
    )
    result = runner.invoke(app, args)
    assert check(result) is None, result.stderr
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    if "markdown" in command or "html" in command:
        assert "<script" not in out
    if "csv" in command:
        assert not any(
            cell.startswith(("=", "+", "@")) for line in out.splitlines() for cell in line.split(",")
        )


YAML11_FORMS = st.one_of(
    st.integers(1, 777).map(lambda n: f"0{n}"),  # octal in 1.1, decimal in 1.2
    st.tuples(st.integers(1, 9), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),  # base 60
    st.tuples(st.integers(1, 9), st.integers(0, 999)).map(lambda t: f"{t[0]}_{t[1]:03d}"),
    st.integers(1, 64).map(lambda n: f"0b{n:b}"),
    st.integers(1, 64).map(lambda n: f"-0x{n:x}"),
    st.tuples(st.integers(1, 9), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}.5"),
)
YAML12_FORMS = st.integers(1, 64).flatmap(
    lambda n: st.sampled_from([(f"0o{n:o}", n), (f"0x{n:x}", n), (f"+{n}", n), (f"0x{n:X}", n)])
)
NUMBER_SLOTS = ["out: {}", "kernel: {}", "stride: {}"]


@settings(FUZZ, max_examples=EXPLORE or 60)
@given(form=YAML11_FORMS, slot=st.sampled_from(NUMBER_SLOTS + ["input"]))
def test_yaml_1_1_number_forms_are_located_errors(
    form: str, slot: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Class 6: a YAML 1.1-only number is an error at its line, never a silently different number."""
    tmp_path = tmp_path_factory.mktemp("yaml11")
    if slot == "input":
        text = TINY.replace("input: [3, 16, 16]", f"input: [3, {form}, 16]")
        line = 3
    else:
        text = HEAD + "    - {op: conv2d, out: 8, kernel: 3, " + slot.format(form) + "}\n"
        text = text.replace("out: 8, kernel: 3, out:", "kernel: 3, out:").replace(
            "kernel: 3, kernel:", "kernel:"
        )
        line = 6
    spec = write(tmp_path / "spec.yaml", text)
    assert check(runner.invoke(app, ["validate", str(spec)])) == ("E106", line)


@settings(FUZZ, max_examples=EXPLORE or 30)
@given(form=YAML12_FORMS)
def test_yaml_1_2_number_forms_mean_their_number(
    form: tuple[str, int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Class 6: 0o20, 0x10 and +16 are the integer 16, as YAML 1.2 says (0o20 is text in YAML 1.1)."""
    tmp_path = tmp_path_factory.mktemp("yaml12")
    written, value = form
    results = []
    for out in (written, str(value)):
        spec = write(tmp_path / "spec.yaml", HEAD + f"    - {{op: conv2d, out: {out}, kernel: 3}}\n")
        result = runner.invoke(app, ["validate", str(spec)])
        assert check(result) is None, result.stderr
        results.append(result.stdout)
    assert results[0] == results[1] and f"[{value}, 32, 32]" in results[0]
