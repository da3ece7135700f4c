"""Writes of the trades app (accounts, orders, submission, reconciliation, paper work)."""
