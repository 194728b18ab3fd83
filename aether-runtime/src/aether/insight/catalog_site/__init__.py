"""The data catalog site: Markdown pages (one per asset, an index by domain, the glossary, a
health page) that a project's MkDocs site includes; ``build_site`` in ``site.py``."""
