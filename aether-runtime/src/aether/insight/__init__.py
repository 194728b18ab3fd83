"""Assets seen from outside a run: status and history, lineage, the DAG page."""
