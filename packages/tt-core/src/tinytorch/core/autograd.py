"""Define-by-run autograd (module 05): Function, Context and the backward engine.

Every differentiable op is a `Function` subclass with two static methods side by
side::

    class Hypot(Function):                     # sqrt(a^2 + b^2): the README's example op
        @staticmethod
        def forward(ctx, a, b):                # NumPy arrays in, one NumPy array out
            out = np.hypot(a, b)
            ctx.save_for_backward(a, b, out)   # what backward needs, nothing more
            return out

        @staticmethod
        def backward(ctx, grad):               # dL/d(out) in, one dL/d(input) per input out
            a, b, out = ctx.saved_tensors
            return unbroadcast(grad * a / out, a.shape), unbroadcast(grad * b / out, b.shape)

`Function.apply` runs `forward` and, when an input requires grad, records the
`Context` as the output's `grad_fn`. A context references the nodes (or leaf
tensors) of its *inputs* only, never its output, so a graph has no reference
cycles and is freed by reference counting alone. `ctx.save_for_backward` is the
only place arrays are kept, which is what lets `graph_nbytes` count a graph's
memory and lets `backward` free it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tinytorch.core.errors import DTypeError, ShapeError, torch_error_type

if TYPE_CHECKING:
    from tinytorch.core.tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    return _grad_enabled


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, enabled
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad() -> Any:
    """Context manager (and decorator) under which ops record no graph."""
    return _grad_mode(False)


def enable_grad() -> Any:
    """Context manager that turns graph recording back on inside `no_grad()`."""
    return _grad_mode(True)


class Context:
    """One node of the graph: what `forward` saved and where gradients flow next.

    `parents[i]` is the node that produced input i, the leaf tensor itself when
    input i is a leaf that requires grad, or None when no gradient flows there.
    Non-array attributes (shapes, axes, scalars) may be set freely; arrays must
    go through `save_for_backward` so that they are counted and freed.

    Each Function gets its own subclass (`MulBackward` for `Mul`) whose class
    attribute `fn` names the op, so recording a node costs no extra work.
    """

    fn: ClassVar[type[Function]]
    # Class-level defaults: a node only stores what differs from them.
    _saved: tuple[Any, ...] = ()
    # (which, version counter, version when saved, shape) of each input (index) or
    # output (-1) whose memory a saved array shares; set by Function.apply.
    _versions: list[tuple[int, list[int], int, tuple[int, ...]]] | tuple[()] = ()
    _freed = False
    parents: tuple[Any, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if type(value) is np.ndarray:
            raise TypeError(
                f"ctx.{name} = <array>: keep arrays with ctx.save_for_backward(...) "
                "so that graph_nbytes() counts them and backward() frees them"
            )
        object.__setattr__(self, name, value)

    if TYPE_CHECKING:  # ops store their own metadata (ctx.shapes, ctx.axis, ...)

        def __getattr__(self, name: str) -> Any: ...

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (or scalars) for `backward`; read them back as `saved_tensors`."""
        self.__dict__["_saved"] = values  # past __setattr__, which refuses arrays

    def record(self, parents: tuple[Any, ...]) -> None:
        """Link this node into the graph: `parents[i]` is input i's node, the leaf
        itself, or None where no gradient flows (called by `Function.apply`)."""
        self.__dict__["parents"] = parents
        self.__dict__["needs_input_grad"] = tuple([p is not None for p in parents])

    def free(self) -> None:
        """Drop the saved arrays after backward (unless `retain_graph`); a second
        backward through this node is then an error (`check_not_freed`)."""
        self.__dict__["_saved"] = ()
        self.__dict__["_freed"] = True

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        self.check_not_freed()
        if self._versions:
            self.check_versions()
        return self._saved

    def check_versions(self) -> None:
        """Raise if memory a saved array shares was changed in place after it was saved
        (PyTorch's version counter check): backward would silently use the new values."""
        for which, counter, saved, shape in self._versions:
            if counter[0] != saved:
                name = op_name(self.fn)
                what = "the output" if which < 0 else f"input {which}"
                raise RuntimeError(
                    f"backward through {name}: one of the variables needed for gradient computation "
                    f"has been modified by an in-place operation: {what} of {name} (shape {shape}) is "
                    f"at version {counter[0]}, but {name} saved it at version {saved}. Something "
                    "changed it between forward and backward, typically optimizer.step() (or another "
                    "in-place update of .data) before loss.backward(): call backward() before step(), "
                    "or run the forward pass again after the change."
                )

    def check_not_freed(self) -> None:
        if self._freed:
            raise RuntimeError(
                f"backward through {type(self).__name__} a second time: its saved arrays were "
                "freed by the first backward(). Call backward(retain_graph=True) the first time "
                "to backpropagate through the same graph twice."
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class Function:
    """Base class of differentiable ops: subclasses define `forward` and `backward`.

    `forward(ctx, *inputs, **options) -> np.ndarray` receives the arrays of the
    Tensor inputs (and any non-Tensor inputs unchanged). `backward(ctx, grad)`
    receives dL/d(output) with the output's shape and dtype and returns one
    gradient per positional input (a tuple, or a bare array for one input),
    shaped like that input, or None where no gradient is needed
    (`ctx.needs_input_grad[i]` is False).
    """

    # Exceptions NumPy raises on bad shapes or indices; apply() re-raises them
    # with the op's name and the input shapes, as PyTorch's types (errors.torch_error_type).
    _wrapped_errors: ClassVar[tuple[type[Exception], ...]] = (ValueError, IndexError)

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._node_type = type(
            f"{cls.__name__}Backward", (Context,), {"fn": cls, "__module__": cls.__module__}
        )

    _node_type: ClassVar[type[Context]]

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run `forward` on `inputs` and record the graph node when one is needed."""
        arrays = []
        dtype = None
        requires_grad = False
        for x in inputs:
            if isinstance(x, Tensor):
                if dtype is None:
                    dtype = x.data.dtype
                elif x.data.dtype != dtype:
                    _raise_dtype_mismatch(cls, inputs)
                if x.requires_grad:
                    requires_grad = True
                arrays.append(x.data)
            else:
                arrays.append(x)
        ctx = cls._node_type()
        try:
            out = cls.forward(ctx, *arrays, **options)
        except cls._wrapped_errors as err:
            shapes = ", ".join(str(np.shape(a)) for a in arrays)
            raise torch_error_type(err)(f"{op_name(cls)}: {err} (input shapes {shapes})") from None
        if not (requires_grad and _grad_enabled):
            result = Tensor.wrap(out)
            if result.data.base is not None:
                _share_version_counter(result, inputs)
            return result
        # Record the node (given code, not a solution: modules 03-04 run layers
        # with parameters that require grad before module 05 builds backward).
        parents = tuple(
            [(x.grad_fn or x) if isinstance(x, Tensor) and x.requires_grad else None for x in inputs]
        )
        ctx.record(parents)
        result = Tensor.wrap(out, requires_grad=True)
        if result.data.base is not None:
            _share_version_counter(result, inputs)
        if ctx._saved:
            ctx.__dict__["_versions"] = _saved_versions(ctx._saved, inputs, result)
        result.grad_fn = ctx
        return result


def increment_version(*tensors: Tensor) -> None:
    """Record that each tensor's data was changed in place (as PyTorch's
    `torch.autograd.graph.increment_version`).

    Call it after writing into `t.data` (optimizers do, after each step): a graph
    that saved that memory for backward then raises instead of computing
    gradients from the new values. Views and detached copies of `t` share its counter.
    """
    for t in tensors:
        t._version_counter[0] += 1


def _share_version_counter(result: Tensor, inputs: Sequence[Any]) -> None:
    """A view of an input shares that input's version counter (its memory is the input's).

    NumPy points a view's `.base` straight at the array that owns the memory.
    """
    owner = result.data.base
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data
            if data is owner or data.base is owner:
                result._version_counter = x._version_counter
                return


def _shares_saved_memory(data: np.ndarray, saved: tuple[Any, ...]) -> bool:
    """Whether a saved array is `data`, its memory's owner or another view of that owner."""
    owner = data.base
    if owner is None:
        owner = data
    for v in saved:  # noqa: SIM110 (a plain loop: any() and its generator cost more, on every op)
        if v is data or v is owner or (type(v) is np.ndarray and v.base is owner):
            return True
    return False


def _saved_versions(saved: tuple[Any, ...], inputs: Sequence[Any], result: Tensor) -> list[Any]:
    """(which, counter, version, shape) of each input (which = its index) and of the output
    (which = -1) whose memory a saved array shares. Runs on every recorded op, so kept lean
    (plain loops, identity tests first; NumPy points a view's `.base` at the memory's owner)."""
    versions = []
    for which, x in enumerate(inputs):
        if (type(x) is Tensor or isinstance(x, Tensor)) and _shares_saved_memory(x.data, saved):
            counter = x._version_counter
            versions.append((which, counter, counter[0], x.data.shape))
    # the output: a fresh array, or a view of an input's memory (then it shares its counter)
    if _shares_saved_memory(result.data, saved):
        counter = result._version_counter
        versions.append((-1, counter, counter[0], result.data.shape))
    return versions


def op_name(fn: type[Function]) -> str:
    """The user-facing name of an op, e.g. `Matmul` -> `matmul`; a `Function` named
    beside its Module (`LinearFunction` next to `Linear`) -> `linear`."""
    return fn.__name__.removesuffix("Function").lower()


def _raise_dtype_mismatch(fn: type[Function], inputs: Sequence[Any]) -> None:
    dtypes = ", ".join(str(x.dtype) for x in inputs if isinstance(x, Tensor))
    raise DTypeError(
        f"{op_name(fn)}: mixed dtypes ({dtypes}); tinytorch never converts silently. "
        "Convert one side first, e.g. x.to(tinytorch.core.float32)."
    )


def backward(root: Tensor, grad: np.ndarray | None = None, retain_graph: bool = False) -> None:
    """Backpropagate from `root`, accumulating dL/dleaf into every leaf's `.grad`.

    Nodes are visited in topological order (each node after every node that
    consumes its output), found iteratively so that deep graphs cannot hit
    Python's recursion limit. Unless `retain_graph`, each node's saved arrays
    are freed as soon as its backward has run.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; "
            "create the inputs with requires_grad=True (and not under no_grad())"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a single-element output, got shape "
                f"{root.shape}; pass backward(grad) with that shape, or reduce first (.sum())"
            )
        grad = np.ones_like(root.data)
    else:
        grad = np.asarray(grad, dtype=root.data.dtype)
        if grad.shape != root.shape:
            raise ShapeError(f"backward: grad has shape {grad.shape} but the output has shape {root.shape}")
    ### BEGIN SOLUTION 05
    if root.grad_fn is None:  # backward on a leaf: dL/dleaf = grad
        _accumulate(root, grad.copy())
        return

    # 1. Count, for every node, how many edges from other nodes lead into it.
    pending: dict[Context, int] = {root.grad_fn: 0}
    stack = [root.grad_fn]
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if isinstance(parent, Context):
                if parent in pending:
                    pending[parent] += 1
                else:
                    pending[parent] = 1
                    stack.append(parent)

    # 2. Run each node once all of its consumers have sent their gradient.
    grads: dict[Context, np.ndarray] = {root.grad_fn: grad}
    ready = [root.grad_fn]
    while ready:
        node = ready.pop()
        input_grads = run_node(node, grads.pop(node), retain_graph)  # one per input
        for parent, g in zip(node.parents, input_grads, strict=True):
            if parent is None or g is None:
                continue
            if isinstance(parent, Context):
                grads[parent] = grads[parent] + g if parent in grads else g
                pending[parent] -= 1
                if pending[parent] == 0:
                    ready.append(parent)
            else:  # a leaf: leaf.grad += g
                _accumulate(parent, g)
    ### END SOLUTION


def run_node(node: Context, grad: np.ndarray, retain_graph: bool) -> tuple[Any, ...]:
    """Run one node's backward: its op's gradient for each input, as a tuple.

    Unless `retain_graph`, the node's saved arrays are freed afterwards. Contract
    with `_accumulate`: a gradient headed for a leaf is an array no one else holds
    (not `grad` itself, not a view, not returned twice), so the leaf keeps it as
    its `.grad` without a copy; where the op returned a shared array, it is copied
    here. (Copying every first gradient instead made the MLP 784-256-10 step 2.2x
    slower: an 800 KB copy of dW1, page faults included.)
    """
    node.check_not_freed()
    input_grads = node.fn.backward(node, grad)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if not retain_graph:
        node.free()
    for parent in node.parents:  # most nodes have no leaf input: nothing to check
        if parent is not None and not isinstance(parent, Context):
            break
    else:
        return input_grads
    if len(input_grads) != len(node.parents):
        return input_grads  # the engine's zip(..., strict=True) names the mistake
    out = list(input_grads)
    for i, parent in enumerate(node.parents):
        g = out[i]
        if parent is None or g is None or isinstance(parent, Context):
            continue
        if g is grad or g.base is not None or sum(x is g for x in input_grads) > 1:
            out[i] = g.copy()
    return tuple(out)


def _accumulate(leaf: Tensor, g: np.ndarray) -> None:
    """leaf.grad += g, checking that the op returned a gradient of the leaf's shape.

    The first gradient becomes `leaf.grad` without a copy: `g` must be an array no
    one else holds (what `run_node` returns for a leaf), since `leaf.grad` is later
    changed in place (accumulation, `zero_grad`, gradient clipping)."""
    if g.shape != leaf.shape:
        raise RuntimeError(
            f"backward: a gradient of shape {g.shape} reached a leaf of shape {leaf.shape}: "
            "some op's backward returned the wrong shape (did it forget to unbroadcast?)"
        )
    if g.dtype != leaf.dtype:
        raise RuntimeError(
            f"backward: a {g.dtype} gradient reached a {leaf.dtype} leaf: some op's backward "
            "changed the dtype (a NumPy float64 scalar in a float32 expression?)"
        )
    if leaf.grad is None:
        leaf.grad = Tensor.wrap(g)
    else:
        leaf.grad.data += g


def graph_nbytes(t: Tensor) -> int:
    """Bytes of the arrays that `t`'s graph keeps alive for backward.

    Counts each distinct buffer once: a saved view keeps its whole base alive.
    """
    if t.grad_fn is None:
        return 0
    seen_nodes = {t.grad_fn}
    seen_buffers: set[int] = set()
    total = 0
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        for value in node._saved:
            if isinstance(value, np.ndarray):
                base = value
                while isinstance(base.base, np.ndarray):
                    base = base.base
                if id(base) not in seen_buffers:
                    seen_buffers.add(id(base))
                    total += base.nbytes
        for parent in node.parents:
            if isinstance(parent, Context) and parent not in seen_nodes:
                seen_nodes.add(parent)
                stack.append(parent)
    return total


from tinytorch.core.tensor import Tensor  # noqa: E402  (Tensor imports this module)
