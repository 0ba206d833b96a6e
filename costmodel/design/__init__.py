"""Design, not only analysis: search spaces, objectives and MnasNet's reward, accuracy sources,
search engines, compound scaling and latency lookup tables (docs/search.md)."""
