"""2-D max and average pooling (module 09): the Functions, the functional forms and the Modules.

- `MaxPool2dLoop` / `AvgPool2dLoop` (`max_pool2d_reference`, `avg_pool2d_reference`):
  one window per iteration, the definition.
- `MaxPool2dFunction` / `AvgPool2dFunction` (`max_pool2d`, `avg_pool2d`, the
  `MaxPool2d` / `AvgPool2d` Modules): kh·kw
  strided slices instead of B·C·OH·OW windows. Window element (i, j) of every
  window at once is the slice xp[:, i::sh, j::sw] (OH·OW values per channel),
  so a 2×2 pool is four whole-array maximums. Like the fast convolution they
  work in (C, H, W, B) order (see conv.py): inner loops run over B (or
  W·B) contiguous values and a conv's output needs no copy.

`max_pool2d` / `avg_pool2d` and the Modules take PyTorch's further options (dilation, ceil_mode,
return_indices; ceil_mode, count_include_pad, divisor_override): calls with the default options,
or whose windows are the same, take the Functions here; the others pool_options.py's (`max_pool`,
`avg_pool` decide).

Max pooling sends each output's gradient to the one input that won its
window; on ties, to the first in row-major window order, as PyTorch does (it
matters after a ReLU, where whole windows are 0). The forward keeps the
winner's position in the window as a uint8 per output (1 byte, not a float
mask per input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, Function, ShapeError, Tensor
from tinytorch.core.allocator import WORKSPACE
from tinytorch.nn import Module
from tinytorch.vision.conv import (
    Pair,
    from_chwn,
    output_size,
    pad_chwn,
    pair,
    to_chwn,
    window_slice,
)
from tinytorch.vision.pool_options import (
    PoolGeometry,
    avg_pool2d_options,
    check_pool_options,
    max_pool2d_options,
)


def pooled_shape(
    shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair
) -> tuple[int, int, int, int]:
    """(B, C, H, W) -> (B, C, OH, OW): the output shape of a pool over an input of `shape`."""
    b, c, h, w = shape
    return (
        b,
        c,
        output_size(h, kernel[0], stride[0], padding[0]),
        output_size(w, kernel[1], stride[1], padding[1]),
    )


def window_elements(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> list[np.ndarray]:
    """Padded (C, Hp, Wp, B) -> kh·kw views (C, OH, OW, B): element k = (i, j) of every window,
    k = i·kw + j (row-major window order)."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    return [xp[:, window_slice(i, oh, sh), window_slice(j, ow, sw)] for i in range(kh) for j in range(kw)]


def index_dtype(window: int) -> np.dtype:
    """uint8 for windows of up to 256 positions (every usual kernel), else int64."""
    return np.dtype(np.uint8) if window <= 256 else np.dtype(np.int64)


def window_max(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> tuple[np.ndarray, np.ndarray]:
    """Padded (C, Hp, Wp, B) -> the max of every (kh, kw) window (C, OH, OW, B) and the position
    of that max in its window, k = i·kw + j (`index_dtype`): the first maximum in row-major order."""
    ### BEGIN SOLUTION 09
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    out = xp[:, window_slice(0, oh, sh), window_slice(0, ow, sw)].copy()  # element 0 of every window
    argmax = np.zeros(out.shape, index_dtype(kh * kw))  # (C, OH, OW, B)
    for k in range(1, kh * kw):  # row-major window order
        i, j = divmod(k, kw)
        values = xp[:, window_slice(i, oh, sh), window_slice(j, ow, sw)]  # element k of every window
        argmax[values > out] = k  # strictly: on a tie the earlier element keeps it
        np.maximum(out, values, out=out)
    return out, argmax
    ### END SOLUTION


def window_max_fast(
    xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """`window_max` with the workspace's arrays, scratch arrays instead of temporaries and no
    boolean-mask assignment; the same values (tested equal). Given, not the student's: it makes the
    milestone CNN's training step 1.3x faster than `window_max` (guide 09, section 3)."""
    first, *rest = window_elements(xp, kernel, stride, out_hw)
    out = WORKSPACE.empty(first.shape, xp.dtype)
    np.copyto(out, first)
    argmax = WORKSPACE.zeros(out.shape, index_dtype(kernel[0] * kernel[1]))
    better = WORKSPACE.empty(out.shape, bool)
    candidate = WORKSPACE.empty(out.shape, argmax.dtype)
    for k, values in enumerate(rest, start=1):
        np.greater(values, out, out=better)
        # argmax < k so far, so max(argmax, k·better) sets k exactly where `better`: two
        # passes, several times faster than argmax[better] = k (np.putmask).
        np.multiply(better, argmax.dtype.type(k), out=candidate)
        np.maximum(argmax, candidate, out=argmax)
        np.maximum(out, values, out=out)
    return out, argmax


def to_winners(
    g: np.ndarray, argmax: np.ndarray, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair
) -> np.ndarray:
    """Max pooling's backward on (C, OH, OW, B) arrays: each output's gradient g goes to the input
    that won its window (position `argmax` in it); the result is the padded (C, Hp, Wp, B) input's."""
    ### BEGIN SOLUTION 09
    (kh, kw), (sh, sw) = kernel, stride
    _, oh, ow, _ = g.shape
    dxp = np.zeros(padded_shape, dtype=g.dtype)
    for k in range(kh * kw):  # windows may overlap: add
        i, j = divmod(k, kw)
        dxp[:, window_slice(i, oh, sh), window_slice(j, ow, sw)] += g * (argmax == k)
    return dxp
    ### END SOLUTION


def to_winners_fast(
    g: np.ndarray, argmax: np.ndarray, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair
) -> np.ndarray:
    """`to_winners` with the workspace's arrays; where windows do not overlap it writes instead
    of adding, and where they tile the input (the usual MaxPool2d(k)) it zeroes only what no
    window covers. The same values (tested equal); given, as `window_max_fast`."""
    (kh, kw), (sh, sw) = kernel, stride
    _, oh, ow, _ = g.shape
    if sh == kh and sw == kw:  # the windows tile the input from (0, 0)
        dxp = WORKSPACE.empty(padded_shape, g.dtype)
        dxp[:, oh * kh :] = 0  # only the rows and columns past the last window
        dxp[:, :, ow * kw :] = 0
    else:
        dxp = WORKSPACE.zeros(padded_shape, g.dtype)
    disjoint = sh >= kh and sw >= kw  # each input in at most one window: write, don't add
    chosen = WORKSPACE.empty(g.shape, bool)
    for k, target in enumerate(window_elements(dxp, kernel, stride, (oh, ow))):
        np.equal(argmax, k, out=chosen)
        if disjoint:
            np.multiply(g, chosen, out=target)
        else:
            target += g * chosen
    return dxp


class MaxPool2dFunction(Function):
    """out[b, c, i, j] = max of the (kh, kw) window at (i·sh - ph, j·sw - pw), padding counting as -inf.

    x: (B, C, H, W) -> (B, C, OH, OW). Saves the argmax within each window (uint8).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        ### BEGIN SOLUTION 09
        xp = pad_chwn(to_chwn(x), padding, -np.inf)  # (C, Hp, Wp, B); -inf never wins a window
        out_hw = pooled_shape(x.shape, kernel, stride, padding)[2:]
        out, argmax = window_max_fast(xp, kernel, stride, out_hw)  # = window_max(...), faster
        ctx.save_for_backward(argmax)  # (C, OH, OW, B)
        ctx.geometry = (xp.shape, kernel, stride, padding)
        return from_chwn(out)  # (B, C, OH, OW) view
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 09
        (argmax,) = ctx.saved_tensors
        padded_shape, kernel, stride, (ph, pw) = ctx.geometry
        dxp = to_winners_fast(to_chwn(grad), argmax, padded_shape, kernel, stride)  # = to_winners(...)
        return from_chwn(dxp[:, ph : padded_shape[1] - ph, pw : padded_shape[2] - pw])  # drop the padding
        ### END SOLUTION


class AvgPool2dFunction(Function):
    """out[b, c, i, j] = mean of the (kh, kw) window, padding counting as 0 (PyTorch's
    count_include_pad=True: always divided by kh·kw). x: (B, C, H, W) -> (B, C, OH, OW)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        ### BEGIN SOLUTION 09
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        _, _, h, w = x.shape
        oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
        xp = pad_chwn(to_chwn(x), padding)  # (C, Hp, Wp, B)
        total = xp[:, window_slice(0, oh, sh), window_slice(0, ow, sw)].copy()  # (C, OH, OW, B)
        for k in range(1, kh * kw):
            i, j = divmod(k, kw)
            total += xp[:, window_slice(i, oh, sh), window_slice(j, ow, sw)]
        total *= total.dtype.type(1 / (kh * kw))
        ctx.geometry = (xp.shape, kernel, stride, padding, (h, w))
        return from_chwn(total)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 09
        padded_shape, (kh, kw), (sh, sw), (ph, pw), (h, w) = ctx.geometry
        g = to_chwn(grad) * grad.dtype.type(1 / (kh * kw))  # (C, OH, OW, B): each input got 1/(kh·kw)
        _, oh, ow, _ = g.shape
        dxp = np.zeros(padded_shape, dtype=g.dtype)
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            dxp[:, window_slice(i, oh, sh), window_slice(j, ow, sw)] += g
        return from_chwn(dxp[:, ph : ph + h, pw : pw + w])
        ### END SOLUTION


# ---------------------------------------------------------- readable: the loops


class MaxPool2dLoop(Function):
    """Max pooling one window at a time (teaching version and test oracle).

    Shapes as `MaxPool2dFunction`; saves the winner's flat index in its window (int64 per output).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        ### BEGIN SOLUTION 09
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)  # -inf never wins
        out = np.empty(pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)  # (B, C, OH, OW)
        winner = np.empty(out.shape, dtype=np.int64)  # flat index in the window
        for b, c, i, j in np.ndindex(out.shape):
            window = xp[b, c, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (kh, kw)
            winner[b, c, i, j] = np.argmax(window)  # the first maximum, row-major
            out[b, c, i, j] = window.max()
        ctx.save_for_backward(winner)
        ctx.geometry = (xp.shape, kernel, stride, padding)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 09
        (winner,) = ctx.saved_tensors
        padded_shape, (_, kw), (sh, sw), (ph, pw) = ctx.geometry
        dxp = np.zeros(padded_shape, dtype=grad.dtype)
        for b, c, i, j in np.ndindex(grad.shape):
            di, dj = divmod(int(winner[b, c, i, j]), kw)  # the winner's row and column in its window
            dxp[b, c, i * sh + di, j * sw + dj] += grad[b, c, i, j]
        return dxp[:, :, ph : padded_shape[2] - ph, pw : padded_shape[3] - pw]  # drop the padding
        ### END SOLUTION


class AvgPool2dLoop(Function):
    """Average pooling one window at a time (teaching version and test oracle).

    Shapes as `AvgPool2dFunction`; saves nothing but the geometry.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
        ### BEGIN SOLUTION 09
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # zeros: counted in every mean
        out = np.empty(pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)  # (B, C, OH, OW)
        for b, c, i, j in np.ndindex(out.shape):
            out[b, c, i, j] = xp[b, c, i * sh : i * sh + kh, j * sw : j * sw + kw].sum() / (kh * kw)
        ctx.geometry = (xp.shape, kernel, stride, padding)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 09
        padded_shape, (kh, kw), (sh, sw), (ph, pw) = ctx.geometry
        dxp = np.zeros(padded_shape, dtype=grad.dtype)
        for b, c, i, j in np.ndindex(grad.shape):  # each input of the window got 1/(kh·kw) of it
            dxp[b, c, i * sh : i * sh + kh, j * sw : j * sw + kw] += grad[b, c, i, j] / (kh * kw)
        return dxp[:, :, ph : padded_shape[2] - ph, pw : padded_shape[3] - pw]  # drop the padding
        ### END SOLUTION


# -------------------------------------------------------------- functional API


def check_pool_args(
    x: Any, kernel_size: Any, stride: Any, padding: Any, name: object
) -> tuple[Pair, Pair, Pair]:
    """Validate a pooling call (errors worded with `name`); returns (kernel, stride, padding) as pairs.

    Errors have PyTorch's types (tinytorch.core.errors): an input that is not 4-D or smaller than
    the kernel is a ShapeError, a zero kernel or stride and a padding over half the kernel an
    ArgumentError.
    """
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"{name}: expected a float32 or float64 input Tensor, got {got}")
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected a 4-D input (B, C, H, W), got shape {x.shape}")
    kernel = pair(kernel_size, "kernel_size", name, 1)
    stride_hw = kernel if stride is None else pair(stride, "stride", name, 1)
    padding_hw = pair(padding, "padding", name, 0)
    if padding_hw[0] > kernel[0] // 2 or padding_hw[1] > kernel[1] // 2:
        raise ArgumentError(
            f"{name}: padding should be at most half of the kernel size, but got padding={padding_hw} "
            f"and kernel_size={kernel}"
        )
    out_hw = pooled_shape(x.shape, kernel, stride_hw, padding_hw)[2:]
    if min(out_hw) < 1:
        raise ShapeError(
            f"{name}: kernel_size={kernel} does not fit in the input of shape {x.shape} "
            f"with padding={padding_hw} (output size would be {out_hw})"
        )
    return kernel, stride_hw, padding_hw


def pool2d(
    function: type[Function], caller: object, x: Tensor, kernel_size: Any, stride: Any, padding: Any
) -> Tensor:
    """Check a pooling call and apply `function` (one of the pooling Functions above).

    Behind the four functions below and the MaxPool2d / AvgPool2d modules; errors start with
    `caller`, a function's name or the layer (whose repr is formatted only on failure).
    """
    kernel, stride_hw, padding_hw = check_pool_args(x, kernel_size, stride, padding, caller)
    return function.apply(x, kernel=kernel, stride=stride_hw, padding=padding_hw)


def max_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each (kh, kw) window, every stride (default: kernel_size). (B, C, H, W) -> (B, C, OH, OW);
    with return_indices, also the int64 flat index (row·W + col) of each maximum in its plane."""
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def avg_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each (kh, kw) window (zero padding counted unless count_include_pad=False).
    (B, C, H, W) -> (B, C, OH, OW)."""
    return avg_pool(
        x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, "avg_pool2d"
    )


def max_pool(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
    caller: object,
) -> Any:
    """`max_pool2d` and `MaxPool2d`: the default options take the fast path above, unchanged;
    the others pool_options.py, unless the result is the fast path's (ceil_mode adding no window)."""
    if dilation == 1 and ceil_mode is False and return_indices is False:
        return pool2d(MaxPool2dFunction, caller, x, kernel_size, stride, padding)
    geometry = check_pool_options(x, kernel_size, stride, padding, dilation, ceil_mode, caller)
    if not return_indices and geometry.dilation == (1, 1) and floor_mode(x, geometry):
        return MaxPool2dFunction.apply(
            x, kernel=geometry.kernel, stride=geometry.stride, padding=geometry.padding
        )
    return max_pool2d_options(x, geometry, bool(return_indices))


def avg_pool(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    caller: object,
) -> Tensor:
    """`avg_pool2d` and `AvgPool2d`: as `max_pool`, the fast path wherever its result is the same
    (every window divided by kh·kw: no window overlaps the padding, or it is counted)."""
    if ceil_mode is False and count_include_pad is True and divisor_override is None:
        return pool2d(AvgPool2dFunction, caller, x, kernel_size, stride, padding)
    geometry = check_pool_options(x, kernel_size, stride, padding, 1, ceil_mode, caller)
    if (
        divisor_override is None
        and floor_mode(x, geometry)
        and (count_include_pad or geometry.padding == (0, 0))
    ):
        return AvgPool2dFunction.apply(
            x, kernel=geometry.kernel, stride=geometry.stride, padding=geometry.padding
        )
    return avg_pool2d_options(x, geometry, count_include_pad, divisor_override, caller)


def floor_mode(x: Tensor, geometry: PoolGeometry) -> bool:
    """Whether the call's output is the one without ceil_mode (its windows all the fast path's)."""
    return geometry.out == pooled_shape(x.shape, geometry.kernel, geometry.stride, geometry.padding)[2:]


def max_pool2d_reference(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """`max_pool2d` by the loop version (teaching version and test oracle)."""
    return pool2d(MaxPool2dLoop, "max_pool2d_reference", x, kernel_size, stride, padding)


def avg_pool2d_reference(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """`avg_pool2d` by the loop version (teaching version and test oracle)."""
    return pool2d(AvgPool2dLoop, "avg_pool2d_reference", x, kernel_size, stride, padding)


# --------------------------------------------------------------------- modules


class _Pool2d(Module):
    """Holds kernel_size, stride (default: the kernel size) and padding as given, as PyTorch does;
    they are checked here and again, with the input, by `pool2d`."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        pair(kernel_size, "kernel_size", name, 1)
        pair(kernel_size if stride is None else stride, "stride", name, 1)
        pair(padding, "padding", name, 0)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding


class MaxPool2d(_Pool2d):
    """Max over (kh, kw) windows every stride (default: the kernel size). (B, C, H, W) -> (B, C, OH, OW);
    with return_indices, (output, int64 indices) as `max_pool2d`."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        pair(dilation, "dilation", type(self).__name__, 1)
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Any:
        return max_pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
            self,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(_Pool2d):
    """Mean over (kh, kw) windows every stride (zero padding counted unless count_include_pad=False).
    (B, C, H, W) -> (B, C, OH, OW)."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
            self,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
