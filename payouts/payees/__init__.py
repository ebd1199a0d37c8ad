"""Payees, their payout methods and method changes, setting a payout schedule, payability."""
