"""Render an HTML report and photograph it in headless Chromium (Debian's `chromium` package).

    python scripts/screenshot_report.py [SPEC...] [--hw NAME] [-o report.png] [--html report.html]

Writes the standalone HTML page and a PNG screenshot of it, so a person (or a test) can check that
the page opens in a real browser and reads well. Exit code 2 when chromium is not installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.cost.analysis import analyze  # noqa: E402
from costmodel.cost.options import AnalysisOptions  # noqa: E402
from costmodel.hw import load_profile  # noqa: E402
from costmodel.present.report import build_report  # noqa: E402
from costmodel.present.report_formats import render_report  # noqa: E402
from costmodel.spec.model import load_spec, resolve_spec_path  # noqa: E402

DEFAULT_SPECS = ("mbv3_small", "mbv3_large", "mbv2", "mnasnet_a1", "efficientnet_b0")


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(
    html_file: Path, png_file: Path, size: tuple[int, int] = (1400, 900), timeout_s: float = 120
) -> None:
    """Headless Chromium's --screenshot of a local page; raises if no PNG comes out."""
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="costmodel-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png_file.resolve()}",
            f"--window-size={size[0]},{size[1]}",
            html_file.resolve().as_uri(),
        ]
        png_file.unlink(missing_ok=True)
        subprocess.run(command, check=True, capture_output=True, timeout=timeout_s)
    if not png_file.exists() or png_file.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot to {png_file}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=list(DEFAULT_SPECS))
    parser.add_argument("--hw", action="append", default=None)
    parser.add_argument("--width", type=float, action="append", default=None)
    parser.add_argument("-o", "--output", type=Path, default=Path("report.png"))
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML page here")
    args = parser.parse_args()
    if find_browser() is None:
        print("screenshot_report: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    results = [
        analyze(load_spec(resolve_spec_path(spec)), load_profile(hw), AnalysisOptions(width=w))
        for spec in args.specs
        for hw in (args.hw or ["snapdragon855"])
        for w in (args.width or [1.0])
    ]
    page = render_report(build_report(results), "html")
    with tempfile.TemporaryDirectory() as tmp:
        html_file = args.html or Path(tmp) / "report.html"
        html_file.write_text(page, encoding="utf-8")
        screenshot(html_file, args.output)
    print(f"wrote {args.output}" + (f" and {args.html}" if args.html else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
