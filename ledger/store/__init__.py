"""Storage: a small port (port.py) with an in-memory and an SQLAlchemy Core implementation."""
