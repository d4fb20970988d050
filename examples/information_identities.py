"""Evaluate every information identity behind InfoGAN's objective on a random joint.

Run ``python examples/information_identities.py [--seed N] [--bits]``. It
draws a random joint distribution P(c, x) (with some zero cells), an
arbitrary auxiliary Q(c|x) and a Markov chain, and prints each identity or
inequality with both sides side by side:

- entropy, KL and cross-entropy (CE = H + KL, KL >= 0, H <= log K),
- the chain rule and the four forms of I(c; x),
- the data-processing inequality,
- the variational bound L_I = E[log Q(c|x)] + H(c) <= I(c; x) and its gap
  E_x KL(P(c|x) || Q(c|x)), tight at Q = P(c|x),
- Lemma 5.1 with f(c, x) = log Q(c|x) (the step that removes the posterior),
- a Monte-Carlo estimate of the bound from samples c ~ P(c), x ~ P(x|c).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from npgan.info import (conditional, conditional_entropy, cross_entropy, entropy, joint_entropy,
                        kl_divergence, lemma_5_1, marginals, mi_lower_bound, mi_lower_bound_exact,
                        mutual_information, variational_gap)


def _random_table(rng, shape, zero_fraction=0.2):
    w = rng.random(shape) ** 2
    w[rng.random(shape) < zero_fraction] = 0.0
    w.flat[0] = max(w.flat[0], 0.1)   # never all zeros
    return w / w.sum(axis=-1 if len(shape) == 1 else None, keepdims=True)


def _rows(rng, a, b):
    r = rng.random((a, b)) + 0.05
    return r / r.sum(axis=1, keepdims=True)


def identity_rows(rng: np.random.Generator, n_c: int = 4, n_x: int = 6, n_mc: int = 20_000,
                  base=None):
    """Evaluate the identities; return ``[(statement, lhs, relation, rhs, tol), ...]``.

    ``relation`` is ``"="`` or ``"<="`` (up to ``tol``: rounding), or ``"~"`` for the
    Monte-Carlo row, whose ``tol`` is 5 standard errors. See :func:`holds`.
    """
    b = {"base": base}
    log_b = 1.0 if base is None else math.log(base)
    joint = _random_table(rng, (n_c, n_x))            # P(c, x)
    p_c, p_x = marginals(joint)
    q = _rows(rng, n_x, n_c)                           # Q(c|x), rows over c
    posterior = conditional(joint, given=1)            # P(c|x), rows over c
    p, r = p_c, _random_table(rng, (n_c,))
    mi = mutual_information(joint, **b)
    h_c, h_x, h_cx = entropy(p_c, **b), entropy(p_x, **b), joint_entropy(joint, **b)
    h_c_given_x = conditional_entropy(joint, given=1, **b)
    h_x_given_c = conditional_entropy(joint, given=0, **b)

    # Markov chain c -> x -> y through a random channel P(y|x)
    p_y_given_x = _rows(rng, n_x, 3)
    joint_cxy = joint[:, :, None] * p_y_given_x[None]
    i_cy = mutual_information(joint_cxy.sum(axis=1), **b)

    bound_q = mi_lower_bound_exact(joint, q, **b)
    lhs, rhs = lemma_5_1(joint, np.log(q.T))

    # Monte Carlo: c ~ P(c), x ~ P(x|c)
    c = rng.choice(n_c, size=n_mc, p=p_c)
    x_given_c = conditional(joint, given=0)
    x = np.array([rng.choice(n_x, p=x_given_c[ci]) for ci in c])
    log_q = np.log(q[x, c])
    mc = mi_lower_bound(log_q, entropy(p_c), **b)
    mc_tol = 5 * log_q.std() / math.sqrt(n_mc) / log_b
    t = 1e-10

    return [
        ("H(c) <= log K", h_c, "<=", math.log(n_c) / log_b, t),
        ("CE(p, r) = H(p) + KL(p||r)", cross_entropy(p, r, **b), "=",
         entropy(p, **b) + kl_divergence(p, r, **b), t),
        ("KL(p||r) >= 0", 0.0, "<=", kl_divergence(p, r, **b), t),
        ("KL(p||p) = 0", kl_divergence(p, p, **b), "=", 0.0, t),
        ("H(c,x) = H(c) + H(x|c)", h_cx, "=", h_c + h_x_given_c, t),
        ("H(c,x) = H(x) + H(c|x)", h_cx, "=", h_x + h_c_given_x, t),
        ("I(c;x) = H(c) - H(c|x)", mi, "=", h_c - h_c_given_x, t),
        ("I(c;x) = H(x) - H(x|c)", mi, "=", h_x - h_x_given_c, t),
        ("I(c;x) = H(c) + H(x) - H(c,x)", mi, "=", h_c + h_x - h_cx, t),
        ("I(c;x) = I(x;c)", mi, "=", mutual_information(joint.T, **b), t),
        ("0 <= I(c;x)", 0.0, "<=", mi, t),
        ("I(c;x) <= min(H(c), H(x))", mi, "<=", min(h_c, h_x), t),
        ("DPI: I(c;y) <= I(c;x)", i_cy, "<=", mi, t),
        ("L_I(Q) <= I(c;x)", bound_q, "<=", mi, t),
        ("I - L_I(Q) = E_x KL(P(c|x)||Q)", mi - bound_q, "=", variational_gap(joint, q, **b), t),
        ("L_I(P(c|x)) = I(c;x)", mi_lower_bound_exact(joint, posterior, **b), "=", mi, t),
        ("Lemma 5.1, f = log Q(c|x)", lhs / log_b, "=", rhs / log_b, t),
        (f"MC L_I ({n_mc} samples) ~ L_I", mc, "~", bound_q, mc_tol),
    ]


def holds(row) -> bool:
    """Whether a row of :func:`identity_rows` holds within its tolerance."""
    _, left, rel, right, tol = row
    if rel == "<=":
        return bool(left <= right + tol)
    return bool(abs(left - right) <= tol)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bits", action="store_true", help="report in bits instead of nats")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    unit = "bits" if args.bits else "nats"
    rows = identity_rows(rng, base=2 if args.bits else None)
    width = max(len(r[0]) for r in rows)
    print(f"Information identities on a random 4 x 6 joint P(c, x) (seed {args.seed}, {unit})\n")
    print(f"{'identity':<{width}}  {'left':>14}     {'right':>14}  {'right - left':>13}  holds")
    print("-" * (width + 58))
    for row in rows:
        statement, left, rel, right, _ = row
        print(f"{statement:<{width}}  {float(left):>14.10f}  {rel:^2} {float(right):>14.10f}  "
              f"{float(right) - float(left):>13.2e}  {'yes' if holds(row) else 'NO'}")
    print("\n'=': equal up to rounding (1e-10); '<=': holds with the slack shown; "
          "'~': within 5 standard errors of the exact value.")


if __name__ == "__main__":
    main()
