"""The local model registry: model rows, their credit pricing, capabilities and selection."""
