"""The bundled seed events, shipped in the wheel as ledger._seeds."""
