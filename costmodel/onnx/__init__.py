"""Bring your own model: ONNX files read as costmodel graphs (docs/onnx.md).

reader.py reads the structure and shapes (never the weights), constants.py folds the shape-only
subgraphs, patterns.py recognises the chains exporters write for one op, layers.py and
elementwise.py map single ops onto the op registry, convert.py builds the Graph, load.py makes it a
spec every command accepts. onnx and numpy are imported only when an ONNX file is read.
"""
