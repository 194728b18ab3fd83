"""The project's code: the transformations its pipelines run are in ``nodes``."""
