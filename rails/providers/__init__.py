"""Adapters for HTTP payment providers (wallet, card and local rails).

Each adapter speaks one provider's API through a real HTTP client with explicit timeouts and
turns what it hears into the plain dataclasses of :mod:`rails.types`. ``sandbox`` talks to the
project's own sandbox provider (:mod:`sandbox`), exactly as it would to a real one.
"""
