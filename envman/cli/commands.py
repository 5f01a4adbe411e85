"""The command table: each command's module and the summary `envman --help` lists.

The group (`root.EnvmanGroup`) imports a command's module only when that command runs, so
`envman --version`, `--help` and shell completion import click and this table, nothing
more. A summary is the first paragraph of the command's docstring
(`tests/cli/test_startup.py` keeps them equal).
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "changed": (
        "changed",
        "The environments, clusters and apps that the changes since REF affect (environment files, bases through `extends`, values files, local charts through the apps using them), judged by the layered result: offline, no cluster is contacted.",
    ),
    "deps": (
        "render",
        "Build the missing dependencies of local charts (helm dependency build, from Chart.lock when present), and pin remote charts in envman.lock, for every (or each named) environment.",
    ),
    "diff": (
        "diff_status",
        "Per object (kind namespace/name), the manifest helm stored for every release the plan changes (at its revision) against the plan's own rendering (hooks included), and its live drift with the values of fields that hold no secret; the same comparison as `plan`, so they never disagree.",
    ),
    "export": (
        "export_commands",
        "The Argo CD Applications the argocd engine would apply, one file per cluster (DIR/<cluster>.yaml), for an app-of-apps to apply from git.",
    ),
    "graph": (
        "spec_commands",
        "The app dependency layers, then the waves with their clusters, in rollout order.",
    ),
    "history": (
        "diff_status",
        "The revisions of APP's release on every (selected) cluster: time, status, chart, version, app version, the git commit it was synced from, helm's description (a rollback says `Rollback to N`) and the images it ran.",
    ),
    "plan": (
        "plan_commands",
        "Desired vs live: per wave, cluster and release, install / upgrade / unchanged / uninstall, what changes (values, version, chart content, live drift) and the waves whose gates will run to verify.",
    ),
    "promote": (
        "promote",
        "Copy SRC's app versions and `promote` value paths into DST's file, commit them on a new branch and print the pull-request body (with evidence from SRC's clusters).",
    ),
    "render": (
        "render",
        "helm template of every selected release with its layered values (secrets redacted).",
    ),
    "rollback": (
        "sync_commands",
        "helm rollback of APP on every (selected) cluster: to its previous revision, to revision N, or to the newest revision synced from a commit (the same on every cluster).",
    ),
    "sandbox": (
        "sandbox_commands",
        "Emulated Kubernetes clusters on 127.0.0.1 that real helm and kubectl work against.",
    ),
    "schema": (
        "spec_commands",
        "JSON Schema of environment files as written (bases and overlays), for editors: put `$schema: <its path or URL>` at the top of a file.",
    ),
    "show": (
        "plan_commands",
        "Print a plan saved by `plan --out FILE`, as `plan` printed it (text, json or markdown); nothing is read from a cluster.",
    ),
    "status": (
        "diff_status",
        "Every release's live chart and app version, images, revision, helm status, workload health and state (what differs from the spec, what drifted), and each wave's last verification and whether it covers what runs.",
    ),
    "sync": (
        "sync_commands",
        "Roll ENV out: wave by wave (canary first), dependency layer by layer, gates between waves, rollback per `onFailure` when a release or gate fails.",
    ),
    "unlock": (
        "sync_commands",
        "Remove the environment lock left by a crashed sync (from every cluster of ENV).",
    ),
    "validate": (
        "spec_commands",
        "Load and check every (or each named) environment; no cluster is contacted.",
    ),
    "values": (
        "render",
        "The merged values of one release as helm gets them (chart defaults aside), YAML; secrets redacted (a secret whose source is not set here is left out).",
    ),
}
"""name -> (module under envman.cli, summary)."""
