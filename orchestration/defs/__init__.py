"""The Dagster adapters: assets and checks, the dbt assets, the batch job, sensors, schedules, resources.

The only package that imports Dagster; what it runs lives in engine/, quality/ and parsers/.
"""
