"""Short-term memory mechanisms in RNNs: slow-point manifolds vs limit cycles,
and the critical learning rate as a function of the delay (arXiv 2502.17433).

Modules: :mod:`.task` (delayed cue discrimination), :mod:`.rnn` (vmapped jax
training of many small tanh RNNs), :mod:`.dynamics` (slow-point search,
limit-cycle detection, the paper's FFT classifier, sequential activity),
:mod:`.theory` (the reduced model and its critical learning rate),
:mod:`.torch_ref` (the per-network torch loop of the benchmark),
:mod:`.stages` (the command-line stages).
"""
