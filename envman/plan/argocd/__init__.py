"""The `argocd` engine's pure parts (README, "Engines"): the Argo CD Application of a
desired release (`applications`), its name (`names`), and what envman reads back from an
Application on the hub: the live release, its drift and health (`reading`), and how far a
sync it started has come (`progress`)."""
