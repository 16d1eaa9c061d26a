"""The domain: municipalities, provisions, areas, remarks and the published figures (no pandas)."""
