"""Payout batches: input parsing, quotes, approval and execution."""
