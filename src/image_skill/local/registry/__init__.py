"""The local model registry, capabilities and model selection."""
