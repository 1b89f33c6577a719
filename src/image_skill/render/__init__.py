"""Human views of envelopes (rich): tables, panels, progress."""
