"""Hierarchical emotion trees from language-model next-token probabilities.

Reproduces Zhao, Okawa, Bigelow, Yu, Ullman, Lubana & Tanaka, "Emergence of
hierarchical emotion organization in large language models" (arXiv 2507.10599)
with small pretrained LMs that run offline. Modules:

- :mod:`.taxonomy`     Shaver et al. (1987) emotion labels and primary groups
- :mod:`.prompts`      authored prompt sets and a loader for the authors' released files
- :mod:`.lm`           generic model loading (HF id, local dir, GGUF in a wheel, tiny random
                       Llama) and top-k / per-label next-token scoring
- :mod:`.trees`        co-occurrence, the parent rule, the paper's cleanup and tree metrics
- :mod:`.recognition`  first-match emotion recognition and confusion matrices
- :mod:`.figures`, :mod:`.stages`, :mod:`.claims`
"""
