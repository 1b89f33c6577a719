"""Money in the local backend: ledger, spend, quotes, payments, pricing."""
