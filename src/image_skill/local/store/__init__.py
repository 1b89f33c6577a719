"""SQLite store of the local backend: schema, connections, assets."""
