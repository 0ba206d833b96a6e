"""`costmodel zoo`: the bundled specs with their params and MACs (independent of hardware)."""

from rich.table import Table

from costmodel.commands.common import console, run
from costmodel.cost.counting import count_nodes
from costmodel.graph import build_graph
from costmodel.present.terminal import human_count
from costmodel.spec import bundled_specs, load_spec


def zoo_command() -> None:
    """The bundled specs: name, params, MACs, model, and the paper and reference each reproduces."""

    def body() -> None:
        table = Table(header_style="bold")
        table.add_column("name", no_wrap=True)
        table.add_column("params", justify="right", no_wrap=True)
        table.add_column("MACs", justify="right", no_wrap=True)
        table.add_column("model", ratio=1)
        table.add_column("source", ratio=2)
        for path in bundled_specs():
            spec = load_spec(path)
            counts = count_nodes(build_graph(spec))
            params, macs = sum(c.params for c in counts), sum(c.macs for c in counts)
            table.add_row(spec.name, human_count(params), human_count(macs), spec.title, spec.source)
        console().print(table)

    run(body)
