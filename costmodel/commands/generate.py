"""`costmodel generate`: a language model's time to first token, time per output token and
tokens/s for a prompt of P tokens and G generated tokens (costmodel/cost/generation.py)."""

import json
from typing import Annotated

import typer

from costmodel.commands.common import HwOpt, SpecArg, console, run
from costmodel.commands.options import analysis_options
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.spec import load_spec, resolve_spec_path


@analysis_options(exclude=("phase", "context"))
def generate_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    prompt: Annotated[int, typer.Option("--prompt", min=1, help="Prompt length in tokens.")] = 512,
    gen: Annotated[int, typer.Option("--gen", min=1, help="Tokens to generate.")] = 128,
    output_format: Annotated[
        str, typer.Option("--format", help="text for people, json for machines.")
    ] = "text",
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Time to first token (the prefill), time per output token (decode steps) and tokens/s."""
    from costmodel.cost.generation import generation_summary
    from costmodel.present.versioned import versioned

    def body() -> None:
        loaded = load_spec(resolve_spec_path(spec))
        summary = generation_summary(loaded, load_profile(hw), options, prompt, gen)
        if output_format == "json":
            print(json.dumps(versioned(summary.to_dict()), indent=2))
            return
        out = console()
        out.print(
            f"{summary.spec_name} on {summary.hardware_name}: batch {summary.batch}, "
            f"prompt {summary.prompt} tokens, {summary.gen} generated"
        )
        out.print(f"time to first token (prefill): {summary.ttft_s * 1e3:.3f} ms")
        out.print(
            f"time per output token (decode): {summary.tpot_s * 1e3:.3f} ms "
            f"({summary.decode_memory_bound_share:.0%} memory-bound at the last step)"
        )
        out.print(f"throughput: {summary.tokens_per_s:,.1f} tokens/s; total {summary.total_s * 1e3:.3f} ms")
        out.print(f"KV cache at the last step: {summary.peak_kv_cache_bytes:,} B")

    run(body)
