"""The API client: requests, replies and transports. Knows nothing of the CLI."""
