"""One module per benchmark; ``run.py`` discovers them. See ``benchmarks/README.md``."""
