"""Low-frequency bias of in-context representations (Yang, Tanaka, Hu; arXiv 2507.13540)."""
