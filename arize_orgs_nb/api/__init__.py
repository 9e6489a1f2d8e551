"""The API layer: organizations and users calls, pagination, drains into frames, name resolution."""
