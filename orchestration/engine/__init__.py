"""The event engine without Dagster: file versions, the ledger, landing, the raw tables, the candidate warehouse
and its lock, the audit (write-audit-publish), the batch, the plan of a build and the published snapshot.
"""
