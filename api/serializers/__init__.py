"""Input and output shapes of the API, one module per resource. Output is rendered by plain
``*_data`` functions (fast): a payout's, a payee's and a batch's are their rooms' representations
(``payouts.<room>.representation``), which their webhook events carry too, and the others are
here. The ``*Out`` serializers describe the same shapes for the OpenAPI schema (the three above
render through their representation as well); schemathesis checks that responses match."""
