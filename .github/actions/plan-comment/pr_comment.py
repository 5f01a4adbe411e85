"""Post FILE as the one envman comment of a pull request (GitHub) or merge request (GitLab):
the comment carrying the marker is updated, else one is created. Standard library only.

GitHub: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN, PR_NUMBER.
GitLab (when GITLAB_CI is set): CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and a
token with api scope in ENVMAN_GITLAB_TOKEN.
COMMENT_MARKER (default `<!-- envman-plan -->`) identifies the comment.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_MARKER = "<!-- envman-plan -->"


def request(method: str, url: str, headers: dict[str, str], body: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read() or b"null")


def endpoints() -> tuple[str, str, dict[str, str]]:
    """(the comments collection URL, the URL of one comment without its id, the headers)."""
    env = os.environ
    if env.get("GITLAB_CI"):
        project = f"{env['CI_API_V4_URL']}/projects/{env['CI_PROJECT_ID']}"
        notes = f"{project}/merge_requests/{env['CI_MERGE_REQUEST_IID']}/notes"
        return notes, notes + "/", {"PRIVATE-TOKEN": env["ENVMAN_GITLAB_TOKEN"]}
    api = env.get("GITHUB_API_URL", "https://api.github.com")
    repo = env["GITHUB_REPOSITORY"]
    headers = {"Authorization": f"Bearer {env['GITHUB_TOKEN']}", "Accept": "application/vnd.github+json"}
    return (
        f"{api}/repos/{repo}/issues/{env['PR_NUMBER']}/comments",
        f"{api}/repos/{repo}/issues/comments/",
        headers,
    )


def main(path: str) -> int:
    marker = os.environ.get("COMMENT_MARKER") or DEFAULT_MARKER
    body = f"{marker}\n{Path(path).read_text(encoding='utf-8')}"
    collection, one, headers = endpoints()
    existing = [
        c for c in request("GET", f"{collection}?per_page=100", headers) or [] if marker in c.get("body", "")
    ]
    if existing:
        request(
            "PATCH" if not os.environ.get("GITLAB_CI") else "PUT",
            f"{one}{existing[0]['id']}",
            headers,
            {"body": body},
        )
        print(f"updated comment {existing[0]['id']}")
    else:
        created = request("POST", collection, headers, {"body": body})
        print(f"created comment {created.get('id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
