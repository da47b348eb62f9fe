"""Reproduction of "Decomposing elements of problem solving: what \"math\" does RL teach?"
(Qin, Park, Kwun, Walsman, Malach, Anand, Tanaka, Alvarez-Melis; arXiv 2505.22756)."""
