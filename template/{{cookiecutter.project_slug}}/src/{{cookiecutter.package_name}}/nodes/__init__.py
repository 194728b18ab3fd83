"""The transformations that conf/base/pipeline.yml wires into pipelines."""
