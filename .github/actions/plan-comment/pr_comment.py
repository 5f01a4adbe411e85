"""Post FILE as the one envman comment of a pull request (GitHub) or merge request (GitLab):
the comment carrying the marker *and written by this workflow's own identity* is updated,
else one is created. A comment by anyone else is never edited, marker or not. Standard
library only.

GitHub: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN, PR_NUMBER. The identity is the
token's user (`GET /user`, which works for a personal or app user token); the workflow's
GITHUB_TOKEN cannot read `/user`, and then it is `github-actions[bot]`, who writes with it.
GitLab (when GITLAB_CI is set): CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and a
token with api scope in ENVMAN_GITLAB_TOKEN; the identity is the token's user (`GET /user`);
when that cannot be read, a new note is created every time.
COMMENT_MARKER (default `<!-- envman-plan -->`) identifies the comment.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MARKER = "<!-- envman-plan -->"
GITHUB_ACTIONS_BOT = "github-actions[bot]"
PAGE = 100


def request(method: str, url: str, headers: dict[str, str], body: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read() or b"null")


@dataclass(frozen=True)
class Api:
    """Where the comments are, and how to tell who wrote one."""

    collection: str
    """The comments of the pull/merge request."""
    one: str
    """The URL of one comment, without its id."""
    headers: dict[str, str]
    user: str
    """`GET` here names the token's user."""
    gitlab: bool

    def author(self, item: Any) -> str | None:
        """Who wrote a comment (GitHub's `user.login`, GitLab's `author.username`)."""
        who = item.get("author" if self.gitlab else "user") if isinstance(item, dict) else None
        name = who.get("username" if self.gitlab else "login") if isinstance(who, dict) else None
        return name if isinstance(name, str) else None


def endpoints() -> Api:
    env = os.environ
    if env.get("GITLAB_CI"):
        api = env["CI_API_V4_URL"]
        project = f"{api}/projects/{env['CI_PROJECT_ID']}"
        notes = f"{project}/merge_requests/{env['CI_MERGE_REQUEST_IID']}/notes"
        return Api(notes, notes + "/", {"PRIVATE-TOKEN": env["ENVMAN_GITLAB_TOKEN"]}, f"{api}/user", True)
    api = env.get("GITHUB_API_URL", "https://api.github.com")
    repo = env["GITHUB_REPOSITORY"]
    headers = {"Authorization": f"Bearer {env['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json"}
    return Api(
        f"{api}/repos/{repo}/issues/{env['PR_NUMBER']}/comments",
        f"{api}/repos/{repo}/issues/comments/",
        headers,
        f"{api}/user",
        False,
    )


def identity(api: Api) -> str | None:
    """Who this token writes as: its user, else (GitHub's GITHUB_TOKEN) github-actions[bot];
    None when it cannot be known (then no comment is ever updated)."""
    try:
        user = request("GET", api.user, api.headers)
    except (urllib.error.URLError, OSError, ValueError):
        user = None
    name = user.get("username" if api.gitlab else "login") if isinstance(user, dict) else None
    if isinstance(name, str) and name:
        return name
    return None if api.gitlab else GITHUB_ACTIONS_BOT


def comments(api: Api) -> list[Any]:
    """Every comment of the pull/merge request, page by page."""
    found: list[Any] = []
    page = 1
    while True:
        batch = request("GET", f"{api.collection}?per_page={PAGE}&page={page}", api.headers) or []
        found.extend(batch)
        if len(batch) < PAGE:
            return found
        page += 1


def main(path: str) -> int:
    marker = os.environ.get("COMMENT_MARKER") or DEFAULT_MARKER
    body = f"{marker}\n{Path(path).read_text(encoding='utf-8')}"
    api = endpoints()
    me = identity(api)
    marked = [c for c in comments(api) if marker in str(c.get("body", ""))]
    mine = [c for c in marked if me is not None and api.author(c) == me]
    others = len(marked) - len(mine)
    if others:
        print(f"left {others} comment(s) carrying the marker alone: not written by {me or 'this token'}")
    if mine:
        request("PUT" if api.gitlab else "PATCH", f"{api.one}{mine[0]['id']}", api.headers, {"body": body})
        print(f"updated comment {mine[0]['id']}")
    else:
        created = request("POST", api.collection, api.headers, {"body": body})
        print(f"created comment {created.get('id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
