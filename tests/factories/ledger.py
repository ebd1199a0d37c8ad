"""factory_boy factories for ledger objects, built through the ledger's services."""

from __future__ import annotations

import factory

from ledger import services
from ledger.types import AccountInfo, BookInfo


class BookFactory(factory.Factory):
    class Meta:
        model = BookInfo

    code = factory.Sequence(lambda n: f"book-{n}")
    name = factory.LazyAttribute(lambda o: f"Book {o.code}")

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: str) -> BookInfo:
        return services.book_open(code=kwargs["code"], name=kwargs["name"])


class AccountFactory(factory.Factory):
    class Meta:
        model = AccountInfo

    book_id = factory.LazyFunction(lambda: BookFactory.create().id)
    code = factory.Sequence(lambda n: f"account-{n}")
    currency = "USD"
    type = "liability"
    floor = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> AccountInfo:
        return services.account_open(**kwargs)
