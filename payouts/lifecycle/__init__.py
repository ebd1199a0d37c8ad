"""The payout: its rule table, transitions, creation, review, approval, cancel and postings."""
