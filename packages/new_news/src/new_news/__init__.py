"""New News: System-2 fine-tuning for robust integration of new knowledge.

Reproduces Park, Zhang & Tanaka (arXiv 2505.01812) with a small offline LM. Modules:

- :mod:`.dataset`   authored news items (data/news.jsonl) and templated "rule news"
- :mod:`.replay`    self-play (model) and template replay: paraphrase, implication, Self-QA
- :mod:`.lm`        chat formatting, log-likelihood scoring, sampling, LoRA adapters
- :mod:`.train`     fine-tuning (checkpointed) and multiple-choice evaluation
- :mod:`.analysis`, :mod:`.figures`, :mod:`.stages`, :mod:`.claims`
"""
