"""Sending payouts to the rail and reading what it sends back: submission, provider clients,
settlement, provider events and the sweeper."""
