"""Parsers: one module per file format, bytes in, rows out, errors that name file, row and field.

No Dagster and no warehouse writes here.
"""
