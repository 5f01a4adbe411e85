"""helm over pyhelm3 (`driver.HelmDriver`), remote charts (`fetch.ChartFetcher`) and the helm
process itself (`binary`, `process`, `flags`, `parse`)."""
