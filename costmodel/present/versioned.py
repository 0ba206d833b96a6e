"""The two keys every JSON document costmodel writes begins with: the version of the document's
layout and the version of costmodel that wrote it, so a consumer can check what it reads.

`schema_version` counts breaking changes of the layout (a key removed, renamed or given another
meaning); adding a key does not change it. It applies to every JSON output alike: analysis, diff,
report and sweep.
"""

from __future__ import annotations

from typing import Any

from costmodel import __version__

SCHEMA_VERSION = 1


def versioned(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with "schema_version" and "costmodel_version" as its first keys."""
    return {"schema_version": SCHEMA_VERSION, "costmodel_version": __version__, **document}
