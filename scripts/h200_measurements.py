"""Turn ../shared/data/h200/whole_models_fp32.csv into costmodel measurement files.

Usage: python scripts/h200_measurements.py SOURCE.csv OUT_DIR

Writes OUT_DIR/whole_fp32_graph.csv (CUDA-graph replay: torch-cudagraph) and
OUT_DIR/whole_fp32_eager.csv (plain eager: torch-eager), with torchvision's model names mapped to
the zoo's spec names and the source's comment lines kept on top.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SPEC_OF = {  # torchvision name -> archspecs/ name
    "mobilenet_v2": "mbv2",
    "mobilenet_v3_small": "mbv3_small",
    "mobilenet_v3_large": "mbv3_large",
    "mnasnet1_0": "mnasnet_b1",
}
RUNTIME_OF = {"graph_ms": "torch-cudagraph", "eager_ms": "torch-eager"}


def main() -> None:
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    lines = source.read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    for column, runtime in RUNTIME_OF.items():
        out = out_dir / f"whole_fp32_{column.removesuffix('_ms')}.csv"
        with out.open("w", encoding="utf-8", newline="") as f:
            f.write("\n".join(comments) + "\n")
            f.write(f"# Converted by scripts/h200_measurements.py: the {column} column ({runtime}).\n")
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["spec", "width", "resolution", "precision", "batch", "latency_ms", "label"])
            for row in rows:
                spec = SPEC_OF.get(row["model"], row["model"])
                label = f"{row['model']} b{row['batch']}"
                fields = [spec, 1.0, row["resolution"], row["dtype"], row["batch"], row[column], label]
                writer.writerow(fields)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
