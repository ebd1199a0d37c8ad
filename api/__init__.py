"""The REST API for platforms (DESIGN.md section 7): thin DRF views over the payouts services."""
