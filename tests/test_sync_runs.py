"""Tests for prospector_scheduler.sync_runs: the audit rows' round trip."""

import unittest
from tests.test_store import StoreTestCase, run_record


class SyncRunsTest(StoreTestCase):
    def test_sync_runs_round_trip(self):
        opened = self.open()
        with opened.write_transaction():
            opened.add_sync_run(run_record())
            opened.add_sync_run(run_record(source="<stdin>", created=0))
        self.assertEqual(opened.sync_runs(), [run_record(), run_record(source="<stdin>", created=0)])


if __name__ == "__main__":
    unittest.main()
