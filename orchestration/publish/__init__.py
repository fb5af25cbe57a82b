"""Publish: the read-only snapshot BI tools query, its Parquet export and charts."""
