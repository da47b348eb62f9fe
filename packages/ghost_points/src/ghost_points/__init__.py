"""ghost_points: abrupt learning through ghost points (Dinc et al., arXiv 2501.02378).

No public code was used; every analysis is derived here from the models and
checked against numerics in ``tests/ghost_points``.

Modules
-------
:mod:`.normal_form`
    The paper's analytic toy model ``dx/dt = x^2 + r`` (x(0) = 0, readout
    ``sigmoid(a (x - x_th))``, target 0 for t < T and 1 for T <= t < 2T).
    Derived: delay ``t* = pi / (2 sqrt r)`` (exact solution
    ``x = sqrt(r) tan(sqrt(r) t)``); a -> inf loss ``|T - t*| / T``; optimum
    ``r* = pi^2 / (4 T^2)``; no-learning zone ``r <= r*/4`` (loss 1, gradient
    exactly 0); ``|dL/dr| = pi / (4 T r^1.5)`` elsewhere, a kink at r*; critical
    learning rate ``eta_c = 3 pi^4 / (32 T^4)`` (GD from just above r* lands
    exactly on r*/4; the landing point ``r - eta g(r)`` increases with r, so no
    run can get stuck below eta_c). For a finite switch x_th the same argument
    with ``t_c(r) = arctan(x_th / sqrt r) / sqrt r`` gives
    ``eta_c(x_th) = T (r^ - r_nl) / |t_c'(r^)|`` (r^, r_nl by scipy brentq).
:mod:`.unit`
    A leaky tanh unit ``x <- (1 - alpha) x + alpha tanh(w x + b)``. Derived:
    fixed points are level sets ``b = atanh(x) - w x``; saddle-node at
    ``x = -s``, ``s = sqrt(1 - 1/w)``, ``b_sn = w s - atanh(s)``; near it
    ``f ~ eps / w + w s (x + s)^2``, so the passage through the ghost takes
    ``pi / (alpha sqrt(eps s))`` steps (eps = b - b_sn).
:mod:`.rnn`
    Low-rank leaky tanh RNNs (the paper's rank-one network and rank K
    generalisation) trained by BPTT with SGD, vmapped over runs.
:mod:`.slow`
    Slow points by q-minimisation (scipy L-BFGS-B with an analytic gradient),
    ghost/fixed-point classification, exact 1-D latent flow for rank one.
:mod:`.stages`, :mod:`.claims`, :mod:`.figures`
    The pipeline stages (``python -m ghost_points <stage>``), the paper's
    claims checked on our results, and the figures.
"""
