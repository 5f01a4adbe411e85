"""The one output layer: plan, graph, status, diff, report and PR-body views, and the
progress renderers of a sync (the engine only emits events). Pure functions of plain data
to text; what leaves the process goes through the CLI's redacting sink."""
