"""The transactional outbox: written by the lifecycle and batches, drained by execution."""
