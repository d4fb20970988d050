"""Fully connected layer."""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ..kernels.gemm import matmul, matmul_add
from ..kernels.layout import is_batch_inner
from .module import Module, check_dy, check_input, make_weights


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias``.

    Three GEMMs (:func:`npgan.kernels.gemm.matmul`, on the thread pool) and no kernel of its own:
    its gradients are checked against finite differences (``tests/test_nn_gradients.py``).

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output feature axes.
    bias : bool
        Whether to learn an additive bias (default True).
    rng : numpy.random.Generator
        Source of the initial weights (keyword-only, required).
    dtype : float32 or float64
        Dtype of the parameters; inputs must have it too (default float32).
    init_std : float
        Standard deviation of the normal initialisation (default 0.02, as the InfoGAN code).
    init : {"normal", "truncated_normal", "kaiming_uniform"}
        Initialisation scheme, see :mod:`npgan.nn.init`.

    Shapes
    ------
    ``weight`` (out_features, in_features) as in PyTorch; ``bias`` (out_features,);
    input (N, in_features) -> output (N, out_features). A batch-inner input (F-contiguous, as
    :class:`~npgan.nn.Flatten` hands on after a convolution) is read through BLAS's transpose
    flag, and its gradient comes back in that layout.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator, dtype=np.float32, init_std: float = 0.02,
                 init: str = "normal") -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", minimum=1)
        self.out_features = check_int(out_features, "out_features", minimum=1)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"`bias` must be a bool, got {type(bias).__name__} {bias!r}")
        self.dtype = make_weights(self, (self.out_features, self.in_features),
                                  (self.out_features,) if bias else None,
                                  rng=rng, dtype=dtype, init_std=init_std, init=init)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, in_features) -> (N, out_features)."""
        check_input(x, "x", ndim=2, dtype=self.dtype, layer="Linear")
        if x.shape[1] != self.in_features:
            raise ValueError(f"Linear: `x` must have shape (N, {self.in_features}) "
                             f"(in_features={self.in_features}), got {x.shape}")
        y = matmul(x, self.params["weight"].T)               # GEMMs run on the kernels' thread pool
        if "bias" in self.params:
            y += self.params["bias"]
        self._save_for_backward((x, y.shape))
        return y

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Accumulate d weight = dyᵀ x and d bias = Σ_n dy (unless ``requires_grad`` is False);
        return dx = dy @ weight (N, in_features), in the memory layout of the forward's ``x``."""
        x, out_shape = self._pending_cache()
        check_dy(dy, out_shape, self.dtype, "Linear")
        self._clear_cache()
        if self.requires_grad:
            dw, fresh = self._grad_to_write("weight")
            (matmul if fresh else matmul_add)(dy.T, x, dw)      # matmul writes into dw
            if "bias" in self.grads:
                self._accumulate("bias", dy.sum(axis=0))
        if not need_dx:
            return None
        if is_batch_inner(x):   # dx in x's layout: (W.T @ dy.T).T, the transposes read by BLAS
            return matmul(self.params["weight"].T, dy.T).T
        return matmul(dy, self.params["weight"])

    def extra_repr(self) -> str:
        return (f"{self.in_features}, {self.out_features}, bias={'bias' in self.params}, "
                f"dtype={self.dtype.name}")
