"""In-context learning strategies emerge rationally (Wurgaft, Lubana, Park, Tanaka, Reddy,
Goodman; arXiv 2506.17859), balls-and-urns setting.

Modules: :mod:`.urns` (task, memorizing and generalizing Bayes predictors, exact expected KL),
:mod:`.model` (a batch of 1-layer GPT-NeoX-style transformers, one per task-pool size),
:mod:`.train`, :mod:`.bms` (description lengths and the hierarchical Bayesian model),
:mod:`.analysis`, :mod:`.figures`, :mod:`.claims`, :mod:`.stages`.
"""
