"""Quality: great-expectations suites for every landed file, run as blocking Dagster asset checks."""
