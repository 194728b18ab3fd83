"""Running nodes: loading transformations, executing and publishing a node, runners, the
orchestrator that runs a plan, and the checks before a run (``validation``).
"""
