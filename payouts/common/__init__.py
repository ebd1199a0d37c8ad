"""Pieces every room of the payouts app uses: its errors and the codes of its ledger accounts."""
