r"""Information theory for InfoGAN, as tested functions (NumPy/SciPy only).

InfoGAN's objective is :math:`\min_{G,Q} \max_D V(D, G) - \lambda L_I(G, Q)`,
where :math:`L_I` is a variational lower bound on :math:`I(c; G(z, c)) =
H(c) - H(c \mid G(z, c))`. Every quantity in that derivation is here, so
each step can be checked numerically (see ``examples/information_identities.py``).

Discrete quantities (:mod:`npgan.info.discrete`) -- distributions on the last
axis, joint tables ``joint[x, y]``, results in nats (``base=2`` for bits)::

    entropy(p)                 H(p)
    cross_entropy(p, q)        H(p, q) = H(p) + KL(p || q)
    kl_divergence(p, q)        KL(p || q)   (inf where q = 0 < p)
    joint_entropy(joint)       H(X, Y, ...)
    conditional_entropy(joint, given=0)   H(Y | X)   (given=1: H(X | Y))
    mutual_information(joint)  I(X; Y) = KL(p(x, y) || p(x) p(y))
    pointwise_information(p)   -log p
    marginals(joint), conditional(joint, given), joint_from_conditional(p_x, p_y_given_x)

Closed forms (:mod:`npgan.info.closed_form`)::

    categorical_entropy(k) / categorical_entropy(probs=p)
    uniform_entropy(low, high), gaussian_entropy(std), gaussian_kl(mp, sp, mq, sq)
    product_entropy(components)    H(c) of independent latent codes

Bounds (:mod:`npgan.info.bounds`), with ``joint[c, x]`` and ``q[x, c] = Q(c|x)``::

    mi_lower_bound(log_q, prior_entropy)   E[log Q(c|x)] + H(c) from samples
    mi_lower_bound_exact(joint, q)         the same, exactly
    variational_gap(joint, q)              I(c; x) - L_I = E_x KL(P(c|x) || Q(c|x))
    lemma_5_1(joint, f)                    both sides of Lemma 5.1

Bad input raises ``ValueError`` naming the argument (negative or non-finite
probabilities, tables not summing to 1 within :func:`sum_tolerance`, shape
mismatches, a base that is not > 0 and != 1) or ``TypeError`` for non-real
input. ``normalize=True`` divides by the sum explicitly.

Hypothesis strategies drawing valid distributions live in
:mod:`npgan.info.strategies` (imported separately; needs ``hypothesis``).
"""

from ._validate import sum_tolerance
from .bounds import lemma_5_1, mi_lower_bound, mi_lower_bound_exact, variational_gap
from .closed_form import (categorical_entropy, gaussian_entropy, gaussian_kl, product_entropy,
                          uniform_entropy)
from .discrete import (conditional, conditional_entropy, cross_entropy, entropy, joint_entropy,
                       joint_from_conditional, kl_divergence, marginals, mutual_information,
                       pointwise_information)

__all__ = [
    "entropy", "cross_entropy", "kl_divergence", "joint_entropy", "conditional_entropy",
    "mutual_information", "pointwise_information", "marginals", "conditional",
    "joint_from_conditional",
    "categorical_entropy", "uniform_entropy", "gaussian_entropy", "gaussian_kl", "product_entropy",
    "mi_lower_bound", "mi_lower_bound_exact", "variational_gap", "lemma_5_1",
    "sum_tolerance",
]
