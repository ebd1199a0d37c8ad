"""Events and their delivery to webhook endpoints. A mechanism that knows no payout: the apps
that emit events register their event types and renderers (``webhooks.registry``)."""
