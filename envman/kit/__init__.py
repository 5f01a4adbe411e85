"""The shared kit every layer may use: the error hierarchy and exit codes, "did you mean",
and secret redaction. Imports nothing else of envman."""
