"""The primitive-op graph of a spec: expansion of blocks and repeats, shapes on every node."""

from costmodel.graph.build import BuildOptions, Graph, Node, build_graph, with_resolution

__all__ = ["BuildOptions", "Graph", "Node", "build_graph", "with_resolution"]
