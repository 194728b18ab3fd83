"""The bundled Aether example: orders CSV -> clean Parquet -> daily revenue report."""
