"""The asset engine: what every asset is made from, whether it is fresh, what a run rebuilds.

``status`` (the records ``aether status`` shows), ``evaluation`` (one topological pass over
the assets), ``fingerprint`` and ``codehash`` (what a node's outputs are made from, without
importing user code), ``planner`` (what a run must rebuild) and ``tracking`` (recording a run
in the state store).
"""
