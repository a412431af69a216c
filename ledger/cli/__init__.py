"""The command line: thin translators from arguments to service calls to output."""
