"""`envman promote SRC DST`: carry versions and promoted value paths from one environment into
another environment's file, as a reviewed git change with a PR body (README, Promotion).

- `model`: which fields change and where they are written (pure)
- `yamledit`: the round-trip edit of the destination file
- `trial`: validation of the edited file before it is written
- `gitops`: branch and commit through git
- `evidence`: what the source clusters actually run, behind the `EvidenceSource` Protocol
- `prbody`: the markdown pull-request body
- `run`: the whole promotion, as the CLI runs it
"""
