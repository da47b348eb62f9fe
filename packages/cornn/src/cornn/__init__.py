"""CORNN: convex optimization of data-constrained recurrent neural networks.

Reproduction of Dinc, Shai, Schnitzer & Tanaka (NeurIPS 2023, arXiv 2311.10200).
Modules: :mod:`.model` (generators and design matrices), :mod:`.solver` (CORNN and its
ADMM variant, in torch), :mod:`.baselines` (Adam on the same losses, FORCE),
:mod:`.flipflop` and :mod:`.timed` (task-trained generators), :mod:`.stages` (CLI).
"""
