"""Special functions, vectorised over NumPy arrays: the error function erf(x) (given code;
`tinytorch.core.erf` and exact GELU in tt-nn use it, as `torch.special` holds torch.erf).

NumPy has no erf, `math.erf` is one Python call per element, and short
approximations (Abramowitz–Stegun 7.1.26, |error| ~1e-7) are far too coarse
for float64 gradients compared with PyTorch at 1e-10. This is W. J. Cody's
rational Chebyshev approximation (ACM TOMS 19 (1993), routine CALERF of
SPECFUN), accurate to a few units in the last place of float64, on three
ranges of |x|:

- |x| <= 0.5:     erf(x)  = x · P(x²) / Q(x²)
- 0.5 < |x| <= 4: erfc(|x|) = exp(-x²) · P(|x|) / Q(|x|)
- |x| > 4:        erfc(|x|) = exp(-x²) / |x| · (1/√π + 1/x² · P(1/x²) / Q(1/x²))

and erf = 1 - erfc with the sign of x on the last two. exp(-x²) is computed as
exp(-s²) · exp(-(x - s)(x + s)) with s = x rounded down to a multiple of 1/16,
which avoids the rounding error of squaring a large x. The result has the
input's dtype (float32 inputs are computed in float32).
"""

from __future__ import annotations

import numpy as np

# Coefficients from Cody's CALERF (numerators a, c, p; denominators b, d, q).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03)
_A4 = 1.85777706184603153e-1
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
_C8 = 2.15311535474403846e-8
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
_P5 = 1.63153871373020978e-2
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2)
_Q4 = 2.33520497626869185e-3
_INV_SQRT_PI = 5.6418958354775628695e-1
_THRESHOLD = 0.46875  # Cody's boundary between the first two ranges
_BIG = 27.0  # erfc(27) < 1e-318: beyond this erf is exactly +-1 (float64)


def _small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num, den = _A4 * z, z + _B[0]
    num += _A[0]
    for a, b in zip(_A[1:3], _B[1:3], strict=True):  # Horner steps, in place
        num *= z
        num += a
        den *= z
        den += b
    num *= z
    num += _A[3]
    den *= z
    den += _B[3]
    num *= x
    num /= den
    return num


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y²) without the rounding error of y² for large y."""
    s = np.trunc(y * 16) / 16
    out = np.exp(-s * s)
    out *= np.exp((s - y) * (y + s))
    return out


def _rational(
    y: np.ndarray, head: float, num_coefs: tuple[float, ...], den_coefs: tuple[float, ...]
) -> np.ndarray:
    """(((head y + n0) y + n1) y ... + n_last) / ((((y + d0) y + d1) y ... + d_last), in place."""
    num, den = head * y, y + den_coefs[0]
    num += num_coefs[0]
    for n, d in zip(num_coefs[1:-1], den_coefs[1:-1], strict=True):
        num *= y
        num += n
        den *= y
        den += d
    num *= y
    num += num_coefs[-1]
    den *= y
    den += den_coefs[-1]
    num /= den
    return num


def _erfc_medium(y: np.ndarray) -> np.ndarray:
    """erfc(y) for 0.46875 < y <= 4."""
    out = _rational(y, _C8, _C, _D)
    out *= _exp_minus_square(y)
    return out


def _erfc_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 4 (y capped at 27, where erfc underflows to 0)."""
    y = np.minimum(y, _BIG)
    z = 1 / (y * y)
    tail = _rational(z, _P5, _P, (*_Q, _Q4))
    tail *= z
    out = _INV_SQRT_PI - tail
    out *= _exp_minus_square(y)
    out /= y
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, for a float32 or float64 array (NaN stays NaN)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"erf: expected a float32 or float64 array, got {x.dtype}")
    y = np.abs(x)
    out = np.full_like(x, np.nan)  # NaN inputs fall in no range below and stay NaN
    small = y <= _THRESHOLD
    large = y > 4  # inf included
    medium = ~small & ~large & ~np.isnan(y)
    out[small] = _small(x[small])
    out[medium] = 1 - _erfc_medium(y[medium])
    if large.any():
        out[large] = 1 - _erfc_large(y[large])
    np.copysign(out, x, out=out)  # erf is odd (on the small range the sign is already x's)
    return out
