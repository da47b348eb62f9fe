"""Reproduction of "Next-token pretraining implies in-context learning"
(Riechers, Bigelow, Alt, Shai; arXiv 2505.18373)."""
