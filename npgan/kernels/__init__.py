"""Performance core: numba kernels and BLAS GEMMs behind npgan's layers.

Public functions (NCHW, PyTorch weight layouts, float32 or float64; every
returned array has the input dtype)::

    conv2d_forward(x, w, b, stride, padding) -> (y, ctx)
    conv2d_backward(dy, ctx, need_dx=True, need_dw=True) -> (dx | None, dw | None, db | None)
    conv_transpose2d_forward(x, w, b, stride, padding, output_padding) -> (y, ctx)
    conv_transpose2d_backward(dy, ctx, need_dx=True, need_dw=True)
        -> (dx | None, dw | None, db | None)
    batchnorm_forward(x, gamma, beta, eps, training, running_mean, running_var)
        -> (y, ctx, batch_mean | None, batch_var | None)
    batchnorm_backward(dy, ctx) -> (dx, dgamma, dbeta)
    activation_forward(kind, x, slope) -> y        # kind in KINDS
    activation_backward(kind, dy, x, y, slope) -> dx
    im2col(x, kh, kw, stride, padding) -> cols     # (C*kh*kw, N*Ho*Wo)
    col2im(cols, x_shape, kh, kw, stride, padding) -> x
    adam_update(p, g, m, v, beta1, beta2, eps, step_size, inv_sqrt_bc2)  # in place, 1-D arrays

**Kernels never validate their inputs.** Shapes, dtypes, contiguity and
hyperparameter ranges are the caller's job (the layers in :mod:`npgan.nn`
check them with :mod:`npgan._checks`). The contract a caller must meet:

- arrays are dense: C-contiguous, or a permutation of a C-contiguous array
  such as the batch-inner activations the convolutions return
  (:mod:`.layout`); anything else is copied once rather than refused,
- all arrays of one call share one dtype, float32 or float64,
- ``stride >= 1``, ``padding >= 0``, ``0 <= output_padding < stride``, the
  kernel fits in the padded input; stride/padding are ints or ``(h, w)`` pairs,
- ``ctx`` objects are opaque, hold references to the forward inputs (not
  copies) and are consumed by exactly one backward call; do not modify those
  inputs in place in between.

Invalid input gives wrong results or an exception from deep inside numba,
not a helpful error message.

Performance notes (details in the module docstrings): convolutions are one
BLAS GEMM per product over the whole batch, on channel-major operands whose
memory is the batch-inner activations the layers hand on (:mod:`.layout`,
:mod:`.im2col`), so no layout pass runs between convolutions; intermediates
live in reused per-thread work buffers (:func:`clear_scratch` frees them).
Each numba kernel is serial and works on a range of channels or elements;
:mod:`.threads` runs the ranges (and the GEMMs' pieces, :mod:`.gemm`) on one
pool of threads with BLAS single-threaded, because on a 2-core machine numba's
parallel regions lost to OpenBLAS's spinning threads and to other processes.

Each kernel has a slow, obviously correct NumPy counterpart in
:mod:`npgan.kernels.reference`, which the tests use as ground truth.
Compilation options live in :mod:`npgan.kernels._jit` (``cache=True``: only
the first run of a fresh install pays the JIT cost).
"""

from .adam import adam_update
from .batchnorm import batchnorm_backward, batchnorm_forward
from .conv import (
    conv2d_backward,
    conv2d_forward,
    conv_transpose2d_backward,
    conv_transpose2d_forward,
    conv_transpose_output_size,
)
from .elementwise import KINDS, activation_backward, activation_forward
from ._scratch import clear_scratch
from .im2col import col2im, conv_output_size, im2col

__all__ = [
    "KINDS",
    "activation_backward",
    "activation_forward",
    "adam_update",
    "batchnorm_backward",
    "batchnorm_forward",
    "clear_scratch",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "conv_output_size",
    "conv_transpose2d_backward",
    "conv_transpose2d_forward",
    "conv_transpose_output_size",
    "im2col",
]
