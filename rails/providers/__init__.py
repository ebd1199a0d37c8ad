"""Adapters for HTTP payment providers (wallet, card and local rails).

:mod:`rails.providers.base` says what every adapter does and how it reports whether money may
have moved; :mod:`rails.providers.registry` maps each rail name to its adapter. Each adapter
speaks one provider's API through a real HTTP client with explicit timeouts and turns what it
hears into the plain dataclasses of :mod:`rails.types`. ``sandbox`` talks to the project's own
sandbox provider (the top-level :mod:`sandbox` package, its own process), exactly as it would
to a real one.
"""
