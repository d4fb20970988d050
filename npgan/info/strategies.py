"""Hypothesis strategies that draw valid discrete distributions (for property tests).

Shipped with the library (as ``dit`` does) so that code built on
:mod:`npgan.info` can property-test itself, but ``hypothesis`` is only a test
dependency: this module is not imported by ``npgan.info`` and raises an
``ImportError`` with an explanation when hypothesis is missing.

Every strategy draws float64 arrays that sum to 1 within a few ulps (well
inside :func:`npgan.info.sum_tolerance`) and, by default, contain exact zeros,
so the ``0 log 0 = 0`` conventions are exercised. Nonzero weights are drawn
from ``[1e-6, 1]`` before normalisation.

Strategies
----------
probability_vectors(min_size, max_size)        p, shape (K,)
joint_tables(min_rows, max_rows, min_cols, max_cols)   joint[x, y], shape (n_x, n_y)
stochastic_matrices(n_rows, min_cols, max_cols)        rows are distributions
markov_chains(max_size)                         (p_x, p_y_given_x, p_z_given_y)
value_tables(shape)                             finite reals, e.g. a function f(x, y)
"""

from __future__ import annotations

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("npgan.info.strategies needs the test dependency `hypothesis` "
                      "(pip install 'npgan[test]')") from exc

__all__ = ["probability_vectors", "joint_tables", "stochastic_matrices", "markov_chains",
           "value_tables"]

_MIN_WEIGHT = 1e-6


def _weights(draw, n: int, zeros: bool) -> np.ndarray:
    """n non-negative weights with at least one positive."""
    positive = st.floats(min_value=_MIN_WEIGHT, max_value=1.0)
    elem = st.one_of(st.just(0.0), positive) if zeros else positive
    w = np.array(draw(st.lists(elem, min_size=n, max_size=n)), dtype=np.float64)
    if not np.any(w > 0):
        w[draw(st.integers(0, n - 1))] = 1.0
    return w


@st.composite
def probability_vectors(draw, min_size: int = 1, max_size: int = 8, *, zeros: bool = True):
    """A probability vector of length in ``[min_size, max_size]`` (float64, sums to 1)."""
    n = draw(st.integers(min_size, max_size))
    w = _weights(draw, n, zeros)
    return w / w.sum()


@st.composite
def joint_tables(draw, min_rows: int = 1, max_rows: int = 6, min_cols: int = 1, max_cols: int = 6,
                 *, zeros: bool = True):
    """A 2-D joint table ``joint[x, y]`` summing to 1 in total (float64)."""
    r = draw(st.integers(min_rows, max_rows))
    c = draw(st.integers(min_cols, max_cols))
    w = _weights(draw, r * c, zeros).reshape(r, c)
    return w / w.sum()


@st.composite
def stochastic_matrices(draw, n_rows: int, min_cols: int = 1, max_cols: int = 6, *,
                        n_cols: int | None = None, zeros: bool = True):
    """A (n_rows, n_cols) table whose rows are distributions (a conditional/channel)."""
    c = n_cols if n_cols is not None else draw(st.integers(min_cols, max_cols))
    rows = [_weights(draw, c, zeros) for _ in range(n_rows)]
    m = np.stack(rows)
    return m / m.sum(axis=1, keepdims=True)


@st.composite
def markov_chains(draw, max_size: int = 5, *, zeros: bool = True):
    """A Markov chain X -> Y -> Z as ``(p_x, p_y_given_x, p_z_given_y)``.

    The joint is ``p(x, y, z) = p_x[x] * p_y_given_x[x, y] * p_z_given_y[y, z]``.
    """
    p_x = draw(probability_vectors(1, max_size, zeros=zeros))
    p_y_given_x = draw(stochastic_matrices(p_x.size, 1, max_size, zeros=zeros))
    p_z_given_y = draw(stochastic_matrices(p_y_given_x.shape[1], 1, max_size, zeros=zeros))
    return p_x, p_y_given_x, p_z_given_y


@st.composite
def value_tables(draw, shape: tuple[int, ...], *, bound: float = 10.0):
    """Finite float64 values in ``[-bound, bound]`` of the given shape (e.g. f(x, y))."""
    n = int(np.prod(shape))
    vals = draw(st.lists(st.floats(-bound, bound), min_size=n, max_size=n))
    return np.array(vals, dtype=np.float64).reshape(shape)
