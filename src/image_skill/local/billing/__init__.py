"""Money in the local backend: the ledger, spend claims, quotes, payments and their views."""
