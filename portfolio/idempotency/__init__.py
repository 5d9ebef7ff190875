"""Idempotency keys: a POST of the API sent again with the same ``Idempotency-Key`` (IETF HTTPAPI draft
"The Idempotency-Key HTTP Header Field") gets the first answer again instead of writing twice."""
