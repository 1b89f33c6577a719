"""HTTP routes of the local backend."""
