"""The pure ``create --guide``: from server snapshots to the guide's data."""
