"""The test suite of prospector-scheduler: ``python3 -m tests`` runs it (see README)."""
