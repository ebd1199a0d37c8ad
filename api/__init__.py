"""The REST API for platforms (docs/api.md), a Django app of its own (label ``api``): thin
DRF views over the domain's services and selectors. Nothing in the domain imports it."""
