"""Pure domain: events, time and the claim projection. No I/O, no clock, no database."""
