"""compute_rates: reading and validating an extract, computing the rates (pandas lives here)."""
