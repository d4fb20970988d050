"""2-D convolution layers: :class:`Conv2d` and :class:`ConvTranspose2d` (NCHW, PyTorch weight layouts).

The layers validate their arguments and inputs, then call the unvalidated numba
kernels of :mod:`npgan.kernels`.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ..kernels import (conv2d_backward, conv2d_forward, conv_transpose2d_backward,
                       conv_transpose2d_forward)
from ..kernels.layout import dense
from .module import Module, check_dy, check_input, make_weights


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``value`` (int or pair of ints) as an ``(h, w)`` pair, each >= ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be an int or a pair of ints, got {value!r}")
        return (check_int(value[0], f"{name}[0]", minimum=minimum),
                check_int(value[1], f"{name}[1]", minimum=minimum))
    v = check_int(value, name, minimum=minimum)
    return v, v


def _check_bias_flag(bias) -> None:
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"`bias` must be a bool, got {type(bias).__name__} {bias!r}")


def _fmt(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else str(p)


class _ConvBackward(Module):
    """The backward pass shared by Conv2d and ConvTranspose2d; ``_kernel_backward`` picks the kernel."""

    _kernel_backward = None

    def backward(self, dy: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Accumulate weight/bias gradients (unless ``requires_grad`` is False: the kernel then
        skips them); return dx (N, C_in, H, W) (None if ``need_dx`` is False)."""
        ctx, out_shape = self._pending_cache()
        check_dy(dy, out_shape, self.dtype, type(self).__name__)
        self._clear_cache()
        need_dw = bool(self.requires_grad)
        dx, dw, db = type(self)._kernel_backward(dense(dy), ctx, need_dx=bool(need_dx),
                                                 need_dw=need_dw)
        if need_dw:
            self._accumulate("weight", dw)
            if "bias" in self.grads:
                self._accumulate("bias", db)
        return dx


class Conv2d(_ConvBackward):
    """2-D cross-correlation, as PyTorch's ``Conv2d`` (no dilation, no groups).

    Kernels: :func:`npgan.kernels.conv2d_forward` / ``conv2d_backward``; their slow textbook
    twins (the tests' ground truth): :func:`npgan.kernels.reference.conv2d_forward` /
    ``conv2d_backward``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
        Zero padding on each side.
    bias : bool
    rng : numpy.random.Generator
        Source of the initial weights (keyword-only, required).
    dtype : float32 or float64
    init_std : float
        Standard deviation of the normal initialisation (default 0.02).
    init : {"normal", "truncated_normal", "kaiming_uniform"}

    Shapes
    ------
    ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,);
    input (N, C_in, H, W) -> output (N, C_out, Ho, Wo) with ``Ho = (H + 2 pH - kH) // sH + 1``.
    """

    _kernel_backward = staticmethod(conv2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, *, rng: np.random.Generator, dtype=np.float32,
                 init_std: float = 0.02, init: str = "normal") -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        _check_bias_flag(bias)
        self.dtype = make_weights(self, (self.out_channels, self.in_channels) + self.kernel_size,
                                  (self.out_channels,) if bias else None,
                                  rng=rng, dtype=dtype, init_std=init_std, init=init)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """Output shape for an input of shape (N, C_in, H, W) (no validation)."""
        n, _, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return n, self.out_channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C_in, H, W) -> (N, C_out, Ho, Wo)."""
        check_input(x, "x", ndim=4, dtype=self.dtype, layer="Conv2d")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d: `x` must have {self.in_channels} channels (in_channels), "
                             f"got shape {x.shape}")
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        h, w = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
        if kh > h or kw > w:
            raise ValueError(f"Conv2d: kernel_size {self.kernel_size} is larger than the padded input "
                             f"({h}, {w}) of `x` with shape {x.shape} and padding {self.padding}")
        x = dense(x)
        # a layer that will compute its weight gradient keeps the im2col matrix for it
        y, ctx = conv2d_forward(x, self.params["weight"], self.params.get("bias"), self.stride, self.padding,
                                keep_cols=self.training and self.requires_grad)
        self._save_for_backward((ctx, y.shape))
        return y

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={_fmt(self.kernel_size)}, "
                f"stride={_fmt(self.stride)}, padding={_fmt(self.padding)}, "
                f"bias={'bias' in self.params}, dtype={self.dtype.name}")


class ConvTranspose2d(_ConvBackward):
    """2-D transposed convolution (the adjoint of :class:`Conv2d`), as PyTorch's ``ConvTranspose2d``.

    Kernels: :func:`npgan.kernels.conv_transpose2d_forward` / ``conv_transpose2d_backward``;
    slow twins: :func:`npgan.kernels.reference.conv_transpose2d_forward` / ``..._backward``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int), >= 1
    padding : int or (int, int), >= 0
        Rows/columns removed from each side of the full output.
    output_padding : int or (int, int), 0 <= output_padding < stride
        Extra rows/columns added on the bottom/right (to pick among the input sizes
        a strided Conv2d maps to the same output size).
    bias : bool
    rng : numpy.random.Generator
    dtype : float32 or float64
    init_std : float
    init : {"normal", "truncated_normal", "kaiming_uniform"}

    Shapes
    ------
    ``weight`` (C_in, C_out, kH, kW) as in PyTorch, ``bias`` (C_out,);
    input (N, C_in, H, W) -> output (N, C_out, Ho, Wo) with ``Ho = (H - 1) sH - 2 pH + kH + opH``.
    """

    _kernel_backward = staticmethod(conv_transpose2d_backward)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, bias: bool = True, *, rng: np.random.Generator, dtype=np.float32,
                 init_std: float = 0.02, init: str = "normal") -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", minimum=1)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        if self.output_padding[0] >= self.stride[0] or self.output_padding[1] >= self.stride[1]:
            raise ValueError(f"`output_padding` must be smaller than `stride` {self.stride}, "
                             f"got {self.output_padding}")
        _check_bias_flag(bias)
        self.dtype = make_weights(self, (self.in_channels, self.out_channels) + self.kernel_size,
                                  (self.out_channels,) if bias else None,
                                  rng=rng, dtype=dtype, init_std=init_std, init=init)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """Output shape for an input of shape (N, C_in, H, W) (no validation)."""
        n, _, h, w = input_shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        (ph, pw), (oh, ow) = self.padding, self.output_padding
        return n, self.out_channels, (h - 1) * sh - 2 * ph + kh + oh, (w - 1) * sw - 2 * pw + kw + ow

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C_in, H, W) -> (N, C_out, Ho, Wo)."""
        check_input(x, "x", ndim=4, dtype=self.dtype, layer="ConvTranspose2d")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"ConvTranspose2d: `x` must have {self.in_channels} channels (in_channels), "
                             f"got shape {x.shape}")
        out = self.output_shape(x.shape)
        if out[2] < 1 or out[3] < 1:
            raise ValueError(f"ConvTranspose2d: `padding` {self.padding} is too large for `x` with shape "
                             f"{x.shape}: the output would be {out[2]}x{out[3]}")
        x = dense(x)
        y, ctx = conv_transpose2d_forward(x, self.params["weight"], self.params.get("bias"),
                                          self.stride, self.padding, self.output_padding)
        self._save_for_backward((ctx, y.shape))
        return y

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={_fmt(self.kernel_size)}, "
                f"stride={_fmt(self.stride)}, padding={_fmt(self.padding)}, "
                f"output_padding={_fmt(self.output_padding)}, bias={'bias' in self.params}, "
                f"dtype={self.dtype.name}")
