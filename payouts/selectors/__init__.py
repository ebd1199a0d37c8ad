"""The payouts app's read paths (services write, selectors read)."""
