"""Quality: expectation suites and plausibility rules; frames in, a Validation out. No Dagster, no warehouse I/O."""
