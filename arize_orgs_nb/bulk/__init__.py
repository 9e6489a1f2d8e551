"""Bulk edits: changes, plans (pure), apply, the journal and its ledger, undo, member plans."""
