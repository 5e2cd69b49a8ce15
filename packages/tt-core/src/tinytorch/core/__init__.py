"""tinytorch.core: Tensor, autograd, gradient checking and profiling tools.

The layer every other tinytorch package builds on; it depends on NumPy only.
See the package README for the public API and how to add an op.
"""

# autograd first: it and tensor import each other, and this order resolves it.
from tinytorch.core.allocator import retain_freed_memory
from tinytorch.core.autograd import (
    Context,
    Function,
    enable_grad,
    graph_nbytes,
    increment_version,
    is_grad_enabled,
    no_grad,
)
from tinytorch.core.broadcast import unbroadcast
from tinytorch.core.errors import ArgumentError, DimensionError, DTypeError, IndexTypeError, ShapeError
from tinytorch.core.factories import (
    arange,
    full,
    generator,
    get_rng_state,
    manual_seed,
    ones,
    rand,
    randn,
    set_rng_state,
    zeros,
)
from tinytorch.core.gradcheck import GradcheckError, gradcheck
from tinytorch.core.ops_arith import abs, clip, exp, log, matmul, maximum, minimum, sqrt, where
from tinytorch.core.ops_index import (
    gather,
    index_select,
    masked_fill,
    one_hot,
    scatter,
    scatter_add,
    tril,
    triu,
)
from tinytorch.core.ops_layout import chunk, flip, pad, repeat, roll, split, unflatten
from tinytorch.core.ops_scan import cumprod, cumsum, prod
from tinytorch.core.ops_shape import cat, stack
from tinytorch.core.ops_sort import SortResult, TopkResult, argsort, sort, topk
from tinytorch.core.profiling import MemoryReport, Timing, measure_time, peak_memory
from tinytorch.core.tensor import Tensor, bool_, float32, float64, int64

__version__ = "0.1.1"

__all__ = [
    "ArgumentError",
    "Context",
    "DTypeError",
    "DimensionError",
    "Function",
    "GradcheckError",
    "IndexTypeError",
    "MemoryReport",
    "ShapeError",
    "SortResult",
    "Tensor",
    "Timing",
    "TopkResult",
    "abs",
    "arange",
    "argsort",
    "bool_",
    "cat",
    "chunk",
    "clip",
    "cumprod",
    "cumsum",
    "enable_grad",
    "exp",
    "flip",
    "float32",
    "float64",
    "full",
    "gather",
    "generator",
    "get_rng_state",
    "gradcheck",
    "graph_nbytes",
    "increment_version",
    "index_select",
    "int64",
    "is_grad_enabled",
    "log",
    "manual_seed",
    "masked_fill",
    "matmul",
    "maximum",
    "measure_time",
    "minimum",
    "no_grad",
    "one_hot",
    "ones",
    "pad",
    "peak_memory",
    "prod",
    "rand",
    "randn",
    "repeat",
    "retain_freed_memory",
    "roll",
    "scatter",
    "scatter_add",
    "set_rng_state",
    "sort",
    "split",
    "sqrt",
    "stack",
    "topk",
    "tril",
    "triu",
    "unbroadcast",
    "unflatten",
    "where",
    "zeros",
]
