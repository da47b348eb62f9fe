"""CT-OT Flow (Kawano et al., arXiv 2505.17354): continuous-time dynamics from
coarse, noisy snapshots.

Modules: :mod:`.processes` (synthetic processes with known truth),
:mod:`.labels` (partial-OT time labels, temporal kernel smoothing),
:mod:`.flow` (flow-matching MLP, training, ODE integration),
:mod:`.metrics` (Wasserstein distances), :mod:`.simulation`, :mod:`.training`,
:mod:`.evaluation` (the simulate, train and evaluate stages' work), :mod:`.stages` (workflow
stages: wiring only), :mod:`.claims`, :mod:`.figures`.
"""

import os

# POT probes every installed backend at import (jax and torch cost seconds per
# job); we only ever pass numpy arrays to it.
for _key in ("POT_BACKEND_DISABLE_JAX", "POT_BACKEND_DISABLE_TENSORFLOW", "POT_BACKEND_DISABLE_CUPY",
             "POT_BACKEND_DISABLE_PYTORCH"):
    os.environ.setdefault(_key, "1")
