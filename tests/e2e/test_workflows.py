"""The repository's CI definitions, run: the plan workflow's own steps against the sandbox
with a fake GitHub API on loopback (one PR comment, updated on the next push), and the sync
workflow's steps through an approval stop and its continuation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import ROOT as REPO
from tests.e2e.conftest import SECRETS, Fleet, fast
from tests.e2e.test_faults import helm_values
from tests.e2e.workflow_runner import Runner
from tests.promote.gitrepo import GIT_ENV, git, init_repo

pytestmark = pytest.mark.helm
BIN = Path(sys.executable).parent
SKIP = {"./.github/actions/setup-envman"}  # the test's PATH has envman and helm already


class FakeGitHub(BaseHTTPRequestHandler):
    """Issue comments of PR 7 of acme/infra. `GET /user` answers as for the workflow's
    GITHUB_TOKEN (403) unless `token_user` is set (a user's token); new comments are written
    by that user, or by github-actions[bot]."""

    comments: ClassVar[dict[int, dict[str, Any]]] = {}
    seen: ClassVar[list[tuple[str, str, str]]] = []
    token_user: ClassVar[str | None] = None

    def _reply(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))  # type: ignore[no-any-return]

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, self.headers.get("Authorization", "")))
        if self.path == "/user":
            if self.token_user is None:
                self._reply(403, {"message": "Resource not accessible by integration"})
            else:
                self._reply(200, {"login": self.token_user})
            return
        first_page = self.path.endswith("&page=1")
        self._reply(200, list(self.comments.values()) if first_page else [])

    def do_POST(self) -> None:
        assert self.path == "/repos/acme/infra/issues/7/comments", self.path
        number = len(self.comments) + 1
        author = {"login": self.token_user or "github-actions[bot]"}
        self.comments[number] = {"id": number, "body": self._body()["body"], "user": author}
        self._reply(201, self.comments[number])

    def do_PATCH(self) -> None:
        self.seen.append(("PATCH", self.path, self.headers.get("Authorization", "")))
        number = int(self.path.rsplit("/", 1)[-1])
        self.comments[number]["body"] = self._body()["body"]
        self._reply(200, self.comments[number])

    def log_message(self, *args: object) -> None:
        pass


MALLORY = {"id": 1, "body": "<!-- envman-plan -->\nLGTM, merge it", "user": {"login": "mallory"}}


@pytest.fixture
def github() -> Iterator[str]:
    FakeGitHub.comments, FakeGitHub.seen, FakeGitHub.token_user = {1: dict(MALLORY)}, [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def repository(prod: Fleet) -> None:
    """The example as a user's repository: its CI definitions, a main branch on `origin`."""
    subprocess.run(["cp", "-r", str(REPO / ".github"), str(prod.root)], check=True)
    init_repo(prod.root)
    origin = prod.root.parent / "origin.git"
    git(prod.root.parent, "clone", "--quiet", "--bare", str(prod.root), str(origin))
    git(prod.root, "remote", "add", "origin", str(origin))
    git(prod.root, "fetch", "--quiet", "origin")


def runner(prod: Fleet, context: dict[str, str], **env: str) -> Runner:
    base = {
        **{k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")},
        **GIT_ENV,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "ENVMAN_HELM": str(prod.helm),
        "CI": "true",
        **env,
    }
    base = {k: v for k, v in base.items() if k not in SECRETS}
    return Runner(
        prod.root, {"secrets.ENVMAN_KUBECONFIG": prod.sandbox.kubeconfig.read_text(), **context}, base, SKIP
    )


def test_the_plan_workflow_comments_the_affected_plans_once(prod: Fleet, github: str) -> None:
    fast(prod)
    repository(prod)
    assert prod.envman("sync", "prod").exit_code == 0
    git(prod.root, "checkout", "--quiet", "-b", "bump-api")
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')
    git(prod.root, "commit", "--quiet", "--all", "--message", "bump api")
    context = {"github.base_ref": "main", "github.event.pull_request.number": "7", "github.token": "t0ken"}
    env = {"GITHUB_API_URL": github, "GITHUB_REPOSITORY": "acme/infra"}
    workflow = prod.root / ".github" / "workflows" / "envman-plan.yml"
    first = runner(prod, context, **env).job(workflow, "plan")
    assert first.outputs["changed"]["environments"].split() == ["prod"]
    mallory, comment = FakeGitHub.comments.values()
    assert mallory == MALLORY  # another user's comment carrying the marker is never edited
    assert comment["user"]["login"] == "github-actions[bot]"
    body = comment["body"]
    assert body.startswith("<!-- envman-plan -->\n### envman plan prod\n")
    assert "<details open><summary>Wave 1: canary: 1 change</summary>" in body
    assert "image.tag: 2.7.0 -> 2.7.1" in body or "2.7.1" in body
    assert SECRETS["API_DB_PASSWORD"] not in body
    assert (
        "GET",
        "/repos/acme/infra/issues/7/comments?per_page=100&page=1",
        "Bearer t0ken",
    ) in FakeGitHub.seen
    saved = json.loads((prod.root / "plans" / "prod.json").read_text())
    assert saved["kind"] == "envman-saved-plan"
    prod.edit("environments/prod.yaml", 'image: {tag: "3.1.4"}', 'image: {tag: "3.1.5"}')
    git(prod.root, "commit", "--quiet", "--all", "--message", "bump web too")
    second = runner(prod, context, **env).job(workflow, "plan")
    assert "updated comment 2" in second.log[-1]
    mallory, updated = FakeGitHub.comments.values()
    assert mallory == MALLORY and "3.1.5" in updated["body"]
    assert [path for verb, path, _ in FakeGitHub.seen if verb == "PATCH"] == [
        "/repos/acme/infra/issues/comments/2"
    ]


@pytest.mark.parametrize("token_user", [None, "envman-bot"])
def test_the_plan_comment_updates_only_its_own_identitys_comment(
    github: str, tmp_path: Path, token_user: str | None
) -> None:
    """The action's script alone: with the workflow's GITHUB_TOKEN (`/user` refused: the
    identity is github-actions[bot]) or a user's token (the identity is that user), a
    marked comment by someone else stays, and the script's own comment is the one updated."""
    FakeGitHub.token_user = token_user
    plan = tmp_path / "comment.md"
    env = {
        **os.environ,
        "GITHUB_API_URL": github,
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_TOKEN": "t0ken",
        "PR_NUMBER": "7",
    }
    script = REPO / ".github" / "actions" / "plan-comment" / "pr_comment.py"
    outputs = []
    for text in ("first plan", "second plan"):
        plan.write_text(text)
        done = subprocess.run(
            [sys.executable, str(script), str(plan)], env=env, capture_output=True, text=True, check=True
        )
        outputs.append(done.stdout.splitlines())
    me = token_user or "github-actions[bot]"
    assert outputs[0] == [
        f"left 1 comment(s) carrying the marker alone: not written by {me}",
        "created comment 2",
    ]
    assert outputs[1][-1] == "updated comment 2"
    assert FakeGitHub.comments[1] == MALLORY
    assert FakeGitHub.comments[2] == {
        "id": 2,
        "body": "<!-- envman-plan -->\nsecond plan",
        "user": {"login": me},
    }


def test_the_sync_workflow_stops_for_approval_and_its_approve_job_continues(prod: Fleet) -> None:
    fast(prod)
    prod.edit("environments/prod.yaml", "# approval: true", "approval: true")
    repository(prod)
    workflow = prod.root / ".github" / "workflows" / "envman-sync-environment.yml"
    context = {
        "inputs.environment": "prod",
        "secrets.API_DB_PASSWORD": SECRETS["API_DB_PASSWORD"],
        "secrets.POSTGRES_PASSWORD": SECRETS["POSTGRES_PASSWORD"],
    }
    sync = runner(prod, context).job(workflow, "sync")
    nxt = sync.outputs["sync"]["next"]
    assert nxt == "envman sync prod --report report.json --approve us"
    assert json.loads((prod.root / "report.json").read_text())["result"] == "awaiting-approval"
    approve = runner(prod, {**context, "needs.sync.outputs.next": nxt}).job(workflow, "approve")
    assert "sync prod: succeeded" in approve.log[-1]
    assert helm_values(prod, "prod-apse1", "api", "api")["image"]["tag"] == "2.7.0"
