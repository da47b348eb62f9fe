"""abrupt_learning: geometric restructuring before abrupt learning in RNNs and
temporal consistency regularisation (Haputhanthri et al., arXiv 2502.07256).

No public code exists; everything is built from the paper's description (see
README.md for the modelling choices).

Modules: :mod:`.tasks` (delayed addition, evidence accumulation, 3-bit
flip-flop), :mod:`.model` (leaky tanh RNN, regulariser, BPTT and RFLO,
Procrustes distance), :mod:`.train` (vmapped grid training with checkpoints),
:mod:`.detect` (plateau / drop / GR detectors), :mod:`.fixed_points`
(q-minimisation), :mod:`.stages`, :mod:`.claims`, :mod:`.figures`.
"""
