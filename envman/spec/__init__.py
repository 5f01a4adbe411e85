"""The environment spec: typed models, located YAML loading, `extends` layering.

Pure core: reads the repository's own files, never a cluster, helm or the network.
"""
