"""The sandbox payment provider: the far side of the wire for wallet, card and local rails.

It runs as its own process (``python -m sandbox``) and behaves like a real HTTP provider:
API-key auth, idempotent submission, asynchronous settlement, failures and late returns,
an event feed, signed and retried callbacks, and magic destination values that trigger each
failure (the table is in :mod:`sandbox.magic` and ``README.md`` next to this file).

It imports neither Django nor any project app (an import-linter contract checks it); the
platform talks to it only through :mod:`rails.providers.sandbox`, exactly as it would to a real
one, and only the test helper and the ``make run`` launcher start it.
"""
