"""`costmodel zoo`: the bundled specs with their params and MACs (independent of hardware)."""

from rich.table import Table

from costmodel.commands.common import WideOpt, console, run
from costmodel.cost.counting import count_nodes
from costmodel.graph import build_graph
from costmodel.present.units import human_count
from costmodel.spec import bundled_specs, load_spec

NARROW = 120  # columns below which the long source citations are left out (--wide shows them)


def zoo_command(wide: WideOpt = False) -> None:
    """The bundled specs: name, params, MACs, model, and the paper and reference each reproduces."""

    def body() -> None:
        out = console(wide=wide)
        with_source = out.width >= NARROW
        table = Table(header_style="bold", caption=None if with_source else "--wide adds each spec's source")
        table.add_column("name", no_wrap=True)
        table.add_column("params", justify="right", no_wrap=True)
        table.add_column("MACs", justify="right", no_wrap=True)
        table.add_column("model", ratio=1, overflow="fold")
        if with_source:
            table.add_column("source", ratio=2, overflow="fold")
        for path in bundled_specs():
            spec = load_spec(path)
            counts = count_nodes(build_graph(spec))
            params, macs = sum(c.params for c in counts), sum(c.macs for c in counts)
            cells = [spec.name, human_count(params), human_count(macs), spec.title]
            table.add_row(*cells, *([spec.source] if with_source else []))
        out.print(table)

    run(body)
