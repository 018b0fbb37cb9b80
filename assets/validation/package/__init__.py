"""The evidence package: its assembly from the statistics and the claims, canonical JSON,
the JSON Schema, figures' data, the reproducibility record and atomic publication;
`evaluate` is the whole validation from the engine's aggregate."""
