"""OpenLineage run events, sent by a listener of the run's event stream.

`config.py` reads and checks `conf/<env>/lineage.yml`, `naming.py` names datasets the
OpenLineage way (namespace from where the data lives), `events.py` builds the run events,
`transport.py` delivers them (a JSON-lines file or an HTTP endpoint), and `listener.py`
turns a run's events into lineage events. Nothing is imported here: a run without
lineage.yml pays for none of it.
"""
