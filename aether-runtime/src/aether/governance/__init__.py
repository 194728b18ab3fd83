"""Governance as code: the glossary (`glossary.py`), the policies of governance.yml
(`policies.py`) and what `aether validate` reports of them (`review.py`)."""
