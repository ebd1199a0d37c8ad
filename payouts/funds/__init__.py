"""Money in: fundings and earnings; the platform's and payees' balances."""
