"""The test session's database backend for the application role (see ``base``)."""
