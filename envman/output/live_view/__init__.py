"""The live view of `sync` and `rollback` on a terminal: `state` (events to waves, clusters,
releases, gates), `layout` (the lines at a width and height), `folding` (what folds first
when the height is short), `marks` (glyphs, times), `screen` (rich `Live` on stderr)."""
