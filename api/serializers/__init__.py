"""Input and output shapes of the API. Output is rendered by plain ``*_data`` functions (fast,
used by views and by webhook events alike); the ``*Out`` serializers describe the same shapes for
the OpenAPI schema, and the schema tests check that the two agree."""
