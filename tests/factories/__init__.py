"""factory_boy factories, built through the services (``from tests.factories import X``)."""

from tests.factories.ledger import AccountFactory, BookFactory

__all__ = ["AccountFactory", "BookFactory"]
