"""The OpenAPI documents of a sandbox cluster: v3 (an index and one document per group
version) and v2 (JSON or gnostic protobuf), with the schemas of the kinds it serves, derived
from the kubernetes client's models, and of the custom resources its CRDs define."""
