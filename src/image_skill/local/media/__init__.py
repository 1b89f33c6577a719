"""Real media files: images, audio, meshes and video."""
