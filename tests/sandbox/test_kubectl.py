"""kubectl pointed at the sandbox as at any cluster: `get` with kube-apiserver's columns,
`explain` (OpenAPI v3, and v2 as older kubectl reads it), events, endpoints, `auth can-i`,
`describe pod` with the QoS class and probe defaults, `logs`, and `exec` refused clearly.

Uses the machine's kubectl (or the one `ENVMAN_KUBECTL` names), else Debian's
`kubernetes-client` (which `.ci/run` installs: kubectl 1.20, which reads OpenAPI v2 for
`explain` and validates on the client); skipped with the reason when there is none."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from envman.sandbox.testing import RunningSandbox, running_sandbox

KUBECTL = os.environ.get("ENVMAN_KUBECTL") or shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
)
BAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: three
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{image: bad:1}]}
"""

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{name: http, containerPort: 8080}]
          resources: {limits: {cpu: 100m, memory: 64Mi}}
          readinessProbe: {httpGet: {path: /healthz, port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {token: s3cret}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: tool:1, resources: {requests: {cpu: 10m}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: idle}
spec:
  containers: [{name: idle, image: busybox:1.36}]
"""


@dataclass
class Kubectl:
    sandbox: RunningSandbox
    env: dict[str, str]
    minor: int = 0
    """The client's minor version (`explain` reads OpenAPI v3 from 1.27 on, v2 before)."""

    def run(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        result = subprocess.run(
            [KUBECTL, "--context", "alpha", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def table(self, *args: str) -> list[list[str]]:
        """`kubectl get ARGS` as rows of cells (columns split on 2+ spaces)."""
        lines = self.run("get", *args).stdout.strip().splitlines()
        return [re.split(r"\s{2,}", line.strip()) for line in lines]


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    """One sandbox cluster with the app above applied by kubectl and settled."""
    home = tmp_path_factory.mktemp("home")
    with running_sandbox(["alpha"]) as sandbox:
        env = {**os.environ, "KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(home)}
        tool = Kubectl(sandbox, env)
        version = json.loads(tool.run("version", "--client", "-o", "json").stdout)["clientVersion"]
        tool.minor = int(re.sub(r"\D.*", "", version["minor"]))
        tool.run("apply", "-f", "-", stdin=APP)
        _wait(lambda: tool.table("deployment", "web")[1][1] == "2/2")
        _wait(lambda: tool.table("job", "migrate")[1][1] == "Complete")
        yield tool


def test_get_prints_the_columns_kube_apiserver_prints(kubectl: Kubectl) -> None:
    pods = kubectl.table("pods", "-l", "app=web")
    assert pods[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [row[1:4] for row in pods[1:]] == [["1/1", "Running", "0"]] * 2
    wide = kubectl.table("pods", "-l", "app=web", "-o", "wide")[0]
    assert wide == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    expected = {
        ("deployments",): (["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["web", "2/2", "2", "2"]),
        ("replicasets",): (["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["2", "2", "2"]),
        ("services", "web"): (
            ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
            ["web", "ClusterIP"],
        ),
        ("configmaps", "settings"): (["NAME", "DATA", "AGE"], ["settings", "2"]),
        ("secrets", "token"): (["NAME", "TYPE", "DATA", "AGE"], ["token", "Opaque", "1"]),
        ("jobs",): (["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], ["migrate", "Complete", "1/1"]),
        ("namespaces", "default"): (["NAME", "STATUS", "AGE"], ["default", "Active"]),
        ("endpoints", "web"): (["NAME", "ENDPOINTS", "AGE"], ["web"]),
        ("events",): (["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], []),
    }
    for args, (header, cells) in expected.items():
        rows = kubectl.table(*args)
        assert rows[0] == header, (args, rows)
        first = rows[1][1:] if args[0] == "replicasets" else rows[1]
        assert first[: len(cells)] == cells, (args, rows)
    service = kubectl.table("services", "web")[1]
    assert re.fullmatch(r"10\.96\.\d+\.\d+", service[2]) and service[3:5] == ["<none>", "80/TCP"]


def test_a_kind_without_a_printer_gets_name_and_age(kubectl: Kubectl) -> None:
    lease = "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: lock}\nspec: {holderIdentity: me}\n"
    kubectl.run("apply", "-f", "-", stdin=lease)
    rows = kubectl.table("leases")
    assert rows[0] == ["NAME", "AGE"] and rows[1][0] == "lock"


def test_explain_reads_the_openapi_v3_and_v2_documents(kubectl: Kubectl) -> None:
    nested = kubectl.run("explain", "pod.spec.containers.readinessProbe.periodSeconds").stdout
    assert "How often (in seconds) to perform the probe" in nested
    v2_args = ("--output=plaintext-openapiv2",) if kubectl.minor >= 27 else ()
    v2 = kubectl.run("explain", *v2_args, "deployment.spec").stdout
    assert "RESOURCE: spec <Object>" in v2 and "DeploymentSpec is the specification" in v2
    assert re.search(r"template\t<Object> -required-", v2)
    if kubectl.minor >= 27:
        v3 = kubectl.run("explain", "deployment.spec").stdout
        assert "KIND:       Deployment" in v3 and "FIELD: spec <DeploymentSpec>" in v3
        assert re.search(r"replicas\t<integer>\n\s+Number of desired pods", v3)
        assert "selector\t<LabelSelector> -required-" in v3


def test_kubectl_refuses_what_the_schemas_or_the_server_cannot_take(kubectl: Kubectl) -> None:
    refused = kubectl.run("apply", "-f", "-", stdin=BAD, check=False)
    assert refused.returncode == 1
    if kubectl.minor >= 25:  # validates on the server (fieldValidation): the server decodes
        assert (
            'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string '
            "into Go struct field DeploymentSpec.spec.replicas of type int32"
        ) in refused.stderr
        return
    assert 'missing required field "name" in io.k8s.api.v1.Container' in refused.stderr
    assert 'got "string", expected "integer"' in refused.stderr


def test_unknown_fields_are_refused_under_strict_validation_and_never_stored(kubectl: Kubectl) -> None:
    typo = APP.replace("metadata: {name: web}", "metadata: {name: typo}").replace(
        "  replicas: 2\n", "  replicaz: 2\n"
    )
    refused = kubectl.run("apply", "-f", "-", stdin=typo, check=False)
    assert refused.returncode == 1
    assert 'strict decoding error: unknown field "spec.replicaz"' in refused.stderr
    kubectl.run("apply", "--validate=false", "-f", "-", stdin=typo)  # fieldValidation=Ignore: dropped
    stored = json.loads(kubectl.run("get", "deployment", "typo", "-o", "json").stdout)
    assert "replicaz" not in stored["spec"] and stored["spec"]["replicas"] == 1
    kubectl.run("delete", "deployment", "typo")


def test_events_as_the_scheduler_kubelet_and_controllers_write_them(kubectl: Kubectl) -> None:
    rows = kubectl.table("events", "--field-selector", "involvedObject.kind=Pod")
    reasons = {row[2] for row in rows[1:]}
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started"} <= reasons
    text = kubectl.run("get", "events").stdout
    assert re.search(
        r"Normal\s+ScalingReplicaSet\s+deployment/web\s+Scaled up replica set web-\w+ from 0 to 2", text
    )
    assert re.search(r"Normal\s+SuccessfulCreate\s+replicaset/web-\w+\s+Created pod: web-\w+-\w+", text)
    assert re.search(r"Normal\s+Completed\s+job/migrate\s+Job completed", text)


def test_endpoints_and_endpoint_slices_follow_the_pods(kubectl: Kubectl) -> None:
    ips = sorted(row[5] for row in kubectl.table("pods", "-l", "app=web", "-o", "wide")[1:])
    endpoints = kubectl.table("endpoints", "web")[1][1]
    assert sorted(endpoints.split(",")) == [f"{ip}:8080" for ip in ips]
    slices = kubectl.table("endpointslices", "-l", "kubernetes.io/service-name=web")
    assert slices[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert slices[1][1:3] == ["IPv4", "8080"] and sorted(slices[1][3].split(",")) == ips
    kubectl.run("scale", "deployment", "web", "--replicas=3")
    _wait(lambda: len(kubectl.table("endpoints", "web")[1][1].split(",")) == 3)
    kubectl.run("scale", "deployment", "web", "--replicas=2")
    _wait(lambda: len(kubectl.table("endpoints", "web")[1][1].split(",")) == 2)


def test_auth_can_i_and_whoami_are_answered(kubectl: Kubectl) -> None:
    assert kubectl.run("auth", "can-i", "delete", "pods").stdout == "yes\n"
    assert kubectl.run("auth", "can-i", "create", "deployments", "-n", "kube-system").stdout == "yes\n"
    assert "*.*" in kubectl.run("auth", "can-i", "--list").stdout
    if kubectl.minor >= 28:
        assert re.search(r"Username\s+sandbox", kubectl.run("auth", "whoami").stdout)


def test_describe_pod_shows_the_defaults_and_qos_class_the_api_server_sets(kubectl: Kubectl) -> None:
    web = kubectl.table("pods", "-l", "app=web")[1][0]
    described = kubectl.run("describe", "pod", web).stdout
    assert re.search(r"QoS Class:\s+Guaranteed", described)  # limits only: requests default to them
    assert "http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1 #failure=3" in described
    assert re.search(r"Requests:\n\s+cpu:\s+100m\n\s+memory:\s+64Mi", described)
    assert "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in described
    account = kubectl.run("get", "pod", web, "-o", "jsonpath={.spec.serviceAccountName}").stdout
    assert (
        account == "default"
        and "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-" in described
    )
    assert re.search(r"Normal\s+Started\s+\S+\s+kubelet\s+Started container web", described)
    job_pod = kubectl.table("pods", "-l", "job-name=migrate")[1][0]
    assert re.search(r"QoS Class:\s+Burstable", kubectl.run("describe", "pod", job_pod).stdout)
    assert re.search(r"QoS Class:\s+BestEffort", kubectl.run("describe", "pod", "idle").stdout)


def test_logs_print_a_few_lines_and_exec_is_refused_clearly(kubectl: Kubectl) -> None:
    logs = kubectl.run("logs", "deployment/web").stdout
    assert logs.startswith("envman sandbox: emulated container web (image nginx:1.27) started")
    assert logs.endswith("ready\n")
    assert kubectl.run("logs", "job/migrate").stdout.endswith("done\n")
    missing = kubectl.run("logs", "idle", "-c", "other", check=False)
    assert missing.returncode == 1 and "container other is not valid for pod idle" in missing.stderr
    refused = kubectl.run("exec", "idle", "--", "ls", check=False)
    assert refused.returncode == 1
    assert "exec is not supported by the envman sandbox" in refused.stderr
