"""Spark support: the run's SparkSession (`session.py`). Imports nothing eagerly, so
`import aether` and projects without Spark never load pyspark."""
