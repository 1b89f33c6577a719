"""Create/edit jobs: validation, plans, production and execution."""
