"""Ingest: parse each landed source file into rows for the warehouse's `raw` schema."""
