"""The GR-precedes verdict needs more leads than a coin flip would give, not just a majority."""

from math import comb

import numpy as np
import pandas as pd
import pytest

from abrupt_learning.claims import _gr, _gr_holds


def _runs(leads):
    return {"runs": pd.DataFrame({"abrupt": [True] * len(leads) + [False],
                                  "lead": list(leads) + [np.nan]})}


def test_gr_precedes_needs_a_sign_test():
    five_of_eight = _gr(_runs([100, 50, 20, 10, 5, -10, -20, np.nan]))
    assert five_of_eight["n_abrupt_runs"] == 8 and five_of_eight["frac_lead_positive"] == 5 / 8
    assert five_of_eight["sign_test_p"] == pytest.approx(sum(comb(8, k) for k in range(5, 9)) / 2 ** 8)
    assert not _gr_holds(five_of_eight)          # p = 0.36: a majority, not evidence
    seven_of_eight = _gr(_runs([100, 50, 20, 10, 5, 3, 1, -10]))
    assert seven_of_eight["sign_test_p"] == pytest.approx((8 + 1) / 2 ** 8)      # p = 0.035
    assert _gr_holds(seven_of_eight)
