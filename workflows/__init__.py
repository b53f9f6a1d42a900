"""Plain-Python domain services: they take a session, a clock and plain values;
they flush and never commit."""
