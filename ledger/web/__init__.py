"""The read-only web view: an ASGI app whose every route asks the application layer once."""
