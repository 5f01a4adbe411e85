"""Names on the hub: one Application per release, `<env>-<cluster>-<app>`.

An Application's name may be a DNS subdomain (253 characters), but Argo CD writes it into a
label of every object it tracks (`app.kubernetes.io/instance`, label tracking), and a label
value holds at most 63 characters. So envman keeps every name it makes a DNS-1123 label of at
most 63 characters: the plain name when it is one, else its first 52 characters (lower-cased,
any other character as `-`) + `-` + the first 10 hex digits of the plain name's sha256. The
same rule shortens label values (environment, cluster) and the names of the hub's records.
"""

from __future__ import annotations

import hashlib
import re

LONGEST = 63
_HASH = 10
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def application_name(environment: str, cluster: str, app: str) -> str:
    """The Application of `app` on `cluster` of `environment`."""
    return dns_label(f"{environment}-{cluster}-{app}")


def dns_label(text: str) -> str:
    """`text` when it is a DNS-1123 label of at most 63 characters, else a shortened, hashed one."""
    if len(text) <= LONGEST and _LABEL.match(text):
        return text
    clean = re.sub(r"[^a-z0-9-]", "-", text.lower())[: LONGEST - _HASH - 1].strip("-")
    digest = _digest(text)
    return f"{clean}-{digest}" if clean else digest


def label_value(text: str) -> str:
    """`text` when it is a valid label value, else a shortened, hashed one."""
    if len(text) <= LONGEST and _LABEL_VALUE.match(text):
        return text
    return dns_label(text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH]


def hub_record_name(environment: str, cluster: str) -> str:
    """The ConfigMap on the hub holding `cluster`'s verification record."""
    return dns_label(f"envman-verified-{environment}-{cluster}")
