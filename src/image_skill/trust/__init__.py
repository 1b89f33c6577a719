"""The trust packet of ``image-skill trust``, built from fetched results."""
