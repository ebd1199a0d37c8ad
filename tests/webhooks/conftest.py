"""Fixtures for the webhooks tests: the payouts tests' platform, payees and running parts (events
are about a platform's objects)."""

from tests.payouts.conftest import make_payee, platform, running  # noqa: F401 - fixtures
