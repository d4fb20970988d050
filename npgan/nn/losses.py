"""Loss functions returning ``(value, gradient(s))``, computed stably from logits.

Each loss returns its value as a Python ``float`` and the gradient with respect to
its differentiable input(s) as arrays of the input dtype (float32 stays float32).
The gradients are those of the returned (averaged) value, ready for ``backward``.

In checked mode (:func:`npgan.nn.checked.checked_mode`, which the trainer enables) every loss
checks its array inputs and raises :class:`~npgan.nn.checked.NonFiniteError`, naming the loss and
the argument, on a NaN or an infinity; outside it, NaN in gives NaN out.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import check_float_array
from .checked import verify_finite

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str, loss: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{loss}: `{name_b}` must have the shape of `{name_a}` {a.shape}, got {b.shape}")


def _same_dtype(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str, loss: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{loss}: `{name_b}` must have the dtype of `{name_a}` ({a.dtype}), got {b.dtype}")


def _nonempty(x: np.ndarray, name: str, loss: str) -> None:
    if x.size == 0:
        raise ValueError(f"{loss}: `{name}` must not be empty, got shape {x.shape}")


def _finite(loss: str, **arrays) -> None:
    """In checked mode, each array must be finite (the message names the loss and the argument)."""
    for name, x in arrays.items():
        verify_finite(x, lambda: f"`{name}` given to {loss}")


def bce_with_logits(logits: np.ndarray, targets) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of ``sigmoid(logits)`` against ``targets``, mean over all elements.

    Computed as ``max(x, 0) - x t + log1p(exp(-|x|))``, which never overflows; an infinite logit
    gets its limit (0 where the sigmoid saturates at the target, inf where it saturates at the other
    side) rather than the ``inf - inf`` NaN of the formula.

    Parameters
    ----------
    logits : ndarray, any shape, float32/float64
    targets : ndarray of the same shape, or a real number (broadcast), with values in [0, 1]
        A float array is cast to the dtype of ``logits``.

    Returns
    -------
    value : float
    dlogits : ndarray, shape and dtype of ``logits``
        ``(sigmoid(x) - t) / logits.size``.
    """
    check_float_array(logits, "logits")
    _nonempty(logits, "logits", "bce_with_logits")
    if isinstance(targets, numbers.Real) and not isinstance(targets, (bool, np.bool_)):
        t_val = float(targets)
        if not 0.0 <= t_val <= 1.0:
            raise ValueError(f"bce_with_logits: `targets` must be in [0, 1], got {t_val}")
        t = t_val
    else:
        check_float_array(targets, "targets")
        _same_shape(logits, targets, "logits", "targets", "bce_with_logits")
        if not (np.all(targets >= 0) and np.all(targets <= 1)):
            raise ValueError(f"bce_with_logits: `targets` must be in [0, 1], got values in "
                             f"[{targets.min()}, {targets.max()}]")
        t = targets.astype(logits.dtype, copy=False)
    _finite("bce_with_logits", logits=logits, targets=targets)
    x = logits
    n = float(x.size)
    e = np.exp(-np.abs(x))                  # in (0, 1]: no overflow
    with np.errstate(invalid="ignore"):
        loss = np.maximum(x, 0) - x * t + np.log1p(e)
    _infinite_logits(x, t, loss)
    value = float(loss.sum(dtype=np.float64) / n)
    # sigmoid(x) from the same e: 1/(1+e) for x >= 0, e/(1+e) for x < 0.
    sig = np.where(x >= 0, 1, e)
    sig /= 1 + e
    sig -= t
    sig *= 1.0 / n
    return value, sig


def _infinite_logits(x: np.ndarray, t, loss: np.ndarray) -> None:
    """The per-element BCE at infinite logits, in place: (1 - t) max(x, 0) + t max(-x, 0) with 0 inf = 0."""
    inf = np.isinf(x)
    if not inf.any():
        return
    tt = np.broadcast_to(np.asarray(t, dtype=x.dtype), x.shape)[inf]
    loss[inf] = np.where(x[inf] > 0, np.where(tt < 1, np.inf, 0.0), np.where(tt > 0, np.inf, 0.0))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of ``softmax(logits)`` against class labels, mean over the batch.

    Parameters
    ----------
    logits : ndarray (N, K), float32/float64
    labels : ndarray
        Integer class indices (N,) in [0, K), or target probabilities (N, K): non-negative
        float rows summing to 1 (one-hot or soft labels), cast to the dtype of ``logits``.

    Returns
    -------
    value : float
        ``-mean_n sum_k t_nk log softmax(x_n)_k`` (log-softmax via the max shift).
    dlogits : ndarray (N, K), dtype of ``logits``
        ``(softmax(x) - t) / N``.
    """
    name = "softmax_cross_entropy"
    check_float_array(logits, "logits", ndim=2)
    _nonempty(logits, "logits", name)
    n, k = logits.shape
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"{name}: `labels` must be a numpy.ndarray, got {type(labels).__name__}")
    _finite(name, logits=logits, labels=labels)
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    s = p.sum(axis=1, keepdims=True)
    logp = z - np.log(s)
    p /= s
    if np.issubdtype(labels.dtype, np.integer):
        if labels.shape != (n,):
            raise ValueError(f"{name}: integer `labels` must have shape ({n},), got {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"{name}: `labels` must be in [0, {k}), got values in "
                             f"[{labels.min()}, {labels.max()}]")
        rows = np.arange(n)
        value = float(-logp[rows, labels].sum(dtype=np.float64) / n)
        p[rows, labels] -= 1
    elif labels.dtype in (np.float32, np.float64):
        _same_shape(logits, labels, "logits", "labels", name)
        if np.any(labels < 0) or not np.allclose(labels.sum(axis=1), 1.0, rtol=0.0, atol=1e-4):
            raise ValueError(f"{name}: float `labels` must be probability rows (non-negative, "
                             "each row summing to 1)")
        t = labels.astype(logits.dtype, copy=False)
        # xlogy style: a zero target contributes 0 even if log p is -inf.
        value = float(-np.where(t > 0, t * logp, 0).sum(dtype=np.float64) / n)
        p -= t
    else:
        raise TypeError(f"{name}: `labels` must be an integer array (N,) or a float array (N, K), "
                        f"got dtype {labels.dtype}")
    p *= 1.0 / n
    return value, p


def gaussian_nll(x: np.ndarray, mean: np.ndarray, log_std: np.ndarray | None = None
                 ) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Negative log-likelihood of ``x`` under N(mean, exp(log_std)²), summed over features, mean over batch.

    Per element: ``0.5 log(2π) + log_std + 0.5 ((x - mean) / exp(log_std))²``.

    Parameters
    ----------
    x : ndarray (N, ...), float32/float64
        Observed values (no gradient is returned for it).
    mean : ndarray, shape and dtype of ``x``
    log_std : ndarray of the same shape and dtype, or None
        None means a fixed standard deviation of 1 (log_std = 0).

    Returns
    -------
    value : float
    dmean : ndarray, shape of ``x``
        ``-(x - mean) / std² / N``.
    dlog_std : ndarray or None
        ``(1 - ((x - mean) / std)²) / N``; None when ``log_std`` is None.
    """
    name = "gaussian_nll"
    check_float_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"{name}: `x` must have a batch axis, got a 0-D array")
    _nonempty(x, "x", name)
    check_float_array(mean, "mean")
    _same_shape(x, mean, "x", "mean", name)
    _same_dtype(x, mean, "x", "mean", name)
    _finite(name, x=x, mean=mean)
    n = float(x.shape[0])
    diff = x - mean
    const = _HALF_LOG_2PI * x.size
    if log_std is None:
        value = float((0.5 * np.square(diff).sum(dtype=np.float64) + const) / n)
        diff *= -1.0 / n
        return value, diff, None
    check_float_array(log_std, "log_std")
    _same_shape(x, log_std, "x", "log_std", name)
    _same_dtype(x, log_std, "x", "log_std", name)
    _finite(name, log_std=log_std)
    inv_std = np.exp(-log_std)
    z = diff * inv_std                      # standardised residual
    zz = np.square(z)
    value = float((log_std.sum(dtype=np.float64) + 0.5 * zz.sum(dtype=np.float64) + const) / n)
    dmean = np.multiply(z, inv_std, out=z)
    dmean *= -1.0 / n
    dlog_std = np.subtract(1, zz, out=zz)
    dlog_std *= 1.0 / n
    return value, dmean, dlog_std


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements.

    Parameters
    ----------
    pred : ndarray, float32/float64
    target : ndarray, shape of ``pred``, float (cast to the dtype of ``pred``)

    Returns
    -------
    value : float
    dpred : ndarray, shape and dtype of ``pred``
        ``2 (pred - target) / pred.size``.
    """
    check_float_array(pred, "pred")
    _nonempty(pred, "pred", "mse")
    check_float_array(target, "target")
    _same_shape(pred, target, "pred", "target", "mse")
    _finite("mse", pred=pred, target=target)
    diff = pred - target.astype(pred.dtype, copy=False)
    n = float(pred.size)
    value = float(np.square(diff).sum(dtype=np.float64) / n)
    diff *= 2.0 / n
    return value, diff
