"""costmodel names for ONNX nodes: the module path an exporter writes into a node's name becomes the
node's layer, block and stage.

torch.onnx names a node by the scopes of the modules that emitted it, each scope repeating its
parent's name: `/features/features.3/block/block.1/block.1.0/Conv` is the Conv of module
`features.3.block.1.0`. Names without slashes are taken as dotted paths already (`s1.b1.expand.bn`,
as costmodel's own exporter writes them); unnamed nodes get `optype_INDEX`.
"""

from __future__ import annotations

import re

ROOT_STAGE = "model"  # the stage of nodes outside any module (a top-level Flatten)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")


def module_path(scopes: list[str]) -> str:
    """`['features', 'features.3', 'block', 'block.1', 'block.1.0']` -> `features.3.block.1.0`."""
    path: list[str] = []
    for scope in scopes:
        if path and scope.startswith(path[-1] + "."):
            path[-1] = scope  # the scope extends its parent's name: it replaces it
        else:
            path.append(scope)
    return ".".join(path)


def _clean(text: str) -> str:
    return ".".join(part for part in _UNSAFE.sub("_", text).split(".") if part)


def node_name(onnx_name: str, op_type: str, index: int, costmodel_op: str, fused: bool) -> str:
    """The costmodel name of an ONNX node: `MODULE.PATH.local` (the local part is the ONNX op in
    lower case, or the costmodel op for a fused pattern)."""
    if "/" in onnx_name:
        *scopes, last = [part for part in onnx_name.split("/") if part] or [op_type]
        local = costmodel_op if fused else last.lower()
        path = _clean(module_path(scopes))
        return f"{path}.{_clean(local)}" if path else _clean(local)
    cleaned = _clean(onnx_name)
    return cleaned or f"{op_type.lower()}_{index}"


def groups(name: str) -> tuple[str, str, str]:
    """(layer, block, stage) of a costmodel node name: everything but the last part; the parts up
    to the first index (`features.3`, `s1.b.2`: a unit of a sequence), else the first two; the first
    part."""
    parts = name.split(".")
    if len(parts) == 1:
        return name, name, ROOT_STAGE
    layer = ".".join(parts[:-1])
    index = next((i for i, part in enumerate(parts[1:-1], 1) if part.isdigit()), None)
    block = ".".join(parts[: index + 1]) if index is not None else ".".join(parts[:2])
    return layer, block, parts[0]
