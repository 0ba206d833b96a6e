"""Malformed specs give one line naming FILE:LINE, the code and the node, and exit code 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from cli import app

LINE = re.compile(r"^costmodel: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): error\[(?P<code>E\d+)\]")

HEAD = "version: 1\nname: t\ninput: [3, 32, 32]\nstages:\n  s1:\n"

# case -> (spec text, expected code, expected line)
CASES = {
    "bad_yaml": ("version: 1\nname: t\ninput: [3, 32, 32\nstages: {}\n", "E101", 4),
    "duplicate_key": (HEAD + "    - {name: a, op: relu}\n  s1:\n    - {name: b, op: relu}\n", "E102", 7),
    "unknown_op": (HEAD + "    - {name: c1, op: conv2, out: 8, kernel: 3}\n", "E104", 6),
    "misspelt_attr": (HEAD + "    - {name: c1, op: conv2d, out: 8, kernel: 3, stirde: 2}\n", "E103", 6),
    "misspelt_top_key": (
        "version: 1\nname: t\ninptu: [3, 32, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        "E103",
        3,
    ),
    "wrong_channels_into_add": (
        HEAD + "    - {name: c1, op: conv2d, out: 8, kernel: 3}\n"
        "    - {name: c2, op: conv2d, out: 16, kernel: 3}\n"
        "    - {name: sum, op: add, inputs: [c1, c2]}\n",
        "E203",
        8,
    ),
    "missing_input": (
        HEAD + "    - {name: c1, op: conv2d, out: 8, kernel: 3}\n"
        "    - {name: sum, op: add, inputs: [c1, c9]}\n",
        "E201",
        7,
    ),
    "cycle": (
        HEAD + "    - {name: a, op: relu, inputs: [b]}\n    - {name: b, op: relu, inputs: [a]}\n",
        "E202",
        6,
    ),
    "python_tag": (
        "version: 1\nname: !!python/object/apply:os.system ['true']\n"
        "input: [3, 32, 32]\nstages: {s: [{op: relu}]}\n",
        "E106",
        2,
    ),
    "unknown_block": (HEAD + "    - {block: inverted_residul, exp: 8, out: 8}\n", "E105", 6),
    "bad_expression": (HEAD + "    - {op: conv2d, out: 'in_channels * * 2', kernel: 3}\n", "E108", 6),
    "huge_repeat": (HEAD + "    - {op: relu, repeat: 1000000000}\n", "E301", 6),
    "negative_channels": (HEAD + "    - {op: conv2d, out: -8, kernel: 3}\n", "E106", 6),
    "fractional_channels": (HEAD + "    - {op: conv2d, out: 'in_channels / 2', kernel: 3}\n", "E106", 6),
    "kernel_larger_than_input": (HEAD + "    - {op: conv2d, out: 8, kernel: 64, padding: 0}\n", "E203", 6),
    # linear now acts on the last axis of any tensor (issue 12); an axis outside the rank is an error
    "axis_outside_rank": (HEAD + "    - {op: softmax, axis: 3}\n", "E203", 6),
    "no_broadcast": (
        HEAD + "    - {op: conv2d, out: 8, kernel: 1}\n    - {op: add, inputs: [input, conv2d]}\n",
        "E203",
        7,
    ),
    # YAML booleans are not numbers: pydantic's lax mode would read these as 1
    "boolean_input_side": (
        "version: 1\nname: t\ninput: [3, true, 32]\nstages:\n  s1:\n    - {op: relu}\n",
        "E106",
        3,
    ),
    "boolean_repeat": (HEAD + "    - {op: relu, repeat: true}\n", "E106", 6),
    "number_as_when": (HEAD + "    - {op: relu, when: 1}\n", "E106", 6),
}

runner = CliRunner()


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_is_one_located_line_with_exit_2(case: str, tmp_path: Path) -> None:
    text, code, line = CASES[case]
    spec = tmp_path / f"{case}.yaml"
    spec.write_text(text)
    result = runner.invoke(app, ["analyze", str(spec)])
    assert result.exit_code == 2, result.output
    output = result.stderr.strip()
    assert "Traceback" not in result.output + result.stderr
    assert len(output.splitlines()) == 1, output
    match = LINE.match(output)
    assert match, output
    assert (match["code"], int(match["line"])) == (code, line), output
    assert match["file"] == str(spec)


def test_did_you_mean_for_misspelt_op(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(CASES["unknown_op"][0])
    result = runner.invoke(app, ["validate", str(spec)])
    assert "did you mean 'conv2d'?" in result.stderr
    assert "s1.c1" in result.stderr


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "error[E301]" in result.stderr


def test_missing_file_and_unknown_hardware() -> None:
    result = runner.invoke(app, ["analyze", "no/such/spec.yaml"])
    assert result.exit_code == 2 and "error[E401]" in result.stderr
    result = runner.invoke(app, ["analyze", "mbv3_small", "--hw", "snapdragon85"])
    assert result.exit_code == 2 and "did you mean 'snapdragon855'?" in result.stderr


def test_console_script_reports_errors_without_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "cycle.yaml"
    spec.write_text(CASES["cycle"][0])
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "analyze", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_did_you_mean_suggests_the_qualified_name_across_stages(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nname: t\ninput: [3, 8, 8]\nstages:\n  a:\n"
        "    - {name: x, op: relu}\n  b:\n    - {name: y, op: relu, inputs: [x]}\n"
    )
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert "did you mean 'a.x'?" in result.stderr


def test_width_that_overflows_channels_is_a_located_limit_error(tmp_path: Path) -> None:
    spec = tmp_path / "wide.yaml"
    spec.write_text(HEAD + "    - {op: conv2d, out: 5000, kernel: 1}\n")  # x16 = 80,000 > 65,536
    result = runner.invoke(app, ["analyze", str(spec), "--width", "16"])
    assert result.exit_code == 2
    assert "error[E301]" in result.stderr and "wide.yaml:6:" in result.stderr


def test_error_inside_an_imported_block_also_names_the_use_site(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "version: 1\nname: t\nimports: [mobilenet]\ninput: [3, 32, 32]\nstages:\n  s:\n"
        "    - {op: conv2d, out: 16, kernel: 3}\n"
        "    - {block: inverted_residual, exp: -4, out: 24}\n"
    )
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    match = LINE.match(result.stderr)
    assert match and match["file"].endswith("mobilenet.yaml") and match["code"] == "E106"
    assert f"(in block 'inverted_residual' used at {spec}:8:7)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_misspelt_bundled_spec_name_suggests_the_closest_one() -> None:
    from costmodel.errors import CostModelError
    from costmodel.spec.model import resolve_spec_path

    with pytest.raises(CostModelError) as caught:
        resolve_spec_path("mbv3_smal")
    message = str(caught.value)
    assert "did you mean 'mbv3_small'" in message
    assert "mbv3_large" not in message and "vgg16" not in message  # one suggestion, the close one


def test_misspelt_bundled_spec_name_on_the_command_line() -> None:
    result = runner.invoke(app, ["analyze", "mbv3_smal"])
    assert result.exit_code == 2
    assert "no such file: mbv3_smal" in result.stderr
    assert "did you mean 'mbv3_small'?" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unknown_name_close_to_no_bundled_spec_gets_no_suggestion() -> None:
    from costmodel.errors import CostModelError
    from costmodel.spec.model import resolve_spec_path

    with pytest.raises(CostModelError) as caught:
        resolve_spec_path("transformer_xl")
    assert "did you mean" not in str(caught.value)
