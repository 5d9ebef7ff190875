"""PostgreSQL's connection budget: whether the workers ``portfolio serve`` is about to start fit in it."""
