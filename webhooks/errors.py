"""The webhooks app's domain errors, each with a stable code."""

from core.errors import DomainError, InvalidInput, NotFound, RateLimited


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class InvalidUrl(InvalidInput):
    code = "invalid_url"


class UnknownEventType(InvalidInput):
    code = "unknown_event_type"


class WebhookEndpointDisabled(DomainError):
    code = "webhook_endpoint_disabled"


class WebhookEndpointLimitReached(DomainError):
    code = "webhook_endpoint_limit_reached"


class RedeliveryRateLimited(RateLimited):
    code = "redelivery_rate_limited"
