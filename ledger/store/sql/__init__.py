"""The SQL store: every SQL text and dialect branch lives in this package."""
