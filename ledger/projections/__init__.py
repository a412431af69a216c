"""Projections: views derived from the log, persisted with a checkpoint, rebuilt by replay."""
