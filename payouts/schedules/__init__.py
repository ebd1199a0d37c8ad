"""Running the payout schedules that are due (setting one is ``payouts.payees.schedules``)."""
