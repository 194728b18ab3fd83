"""Configuration: reading ``conf/`` strictly, ``--params`` overrides, project settings."""
