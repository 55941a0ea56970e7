"""The HTTP service through which a consortium runs its placement rounds."""
