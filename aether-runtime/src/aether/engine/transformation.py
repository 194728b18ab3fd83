"""Transformations: the business logic of a node (a class with `run` or a plain function).

Example:
    ```python
    class CleanOrders(AbstractTransformation):
        def __init__(self, drop_test_orders: bool = True) -> None:
            self.drop_test_orders = drop_test_orders

        def run(self, orders: pd.DataFrame, min_amount: float) -> pd.DataFrame:
            ...
    ```

The constructor's keyword arguments come from the node's `options:` in pipeline.yml.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from aether.errors import PipelineError
from aether.support.dotted_paths import import_object


class AbstractTransformation(ABC):
    """Strategy for a node's logic: `run(**inputs)` returns the node's outputs.

    The constructor's keyword arguments come from the node's `options:` in pipeline.yml, so
    one class serves several nodes with different settings. A plain function is accepted
    wherever a transformation is.

    Example:
        ```python
        class CleanOrders(AbstractTransformation):
            def __init__(self, drop_test_orders: bool = True) -> None:
                self.drop_test_orders = drop_test_orders

            def run(self, orders: pd.DataFrame, min_amount: float) -> pd.DataFrame:
                return orders[orders["amount"] >= min_amount]
        ```

        ```yaml
        - name: clean_orders
          transformation: my_project.nodes.orders.CleanOrders
          inputs: {orders: raw_orders, min_amount: params:cleaning.min_amount}
          outputs: clean_orders
          options: {drop_test_orders: false}
        ```
    """

    @abstractmethod
    def run(self, *args: Any, **inputs: Any) -> Any:
        """Compute the outputs from the inputs.

        Args:
            *args: The node's inputs listed without argument names, in order.
            **inputs: The node's inputs given as a mapping argument -> dataset.

        Returns:
            One value for a single output, a tuple for a list of outputs, or a dict for a
                mapping of outputs (as the node's `outputs:` says).
        """


def resolve_callable(target: str | Callable[..., Any], options: dict[str, Any], node: str) -> Any:
    """Turn a node's ``transformation`` into the callable to run, options applied."""
    obj = _import_target(target, node) if isinstance(target, str) else target
    if inspect.isclass(obj):
        if not callable(getattr(obj, "run", None)):
            raise PipelineError(
                f"Node '{node}': class {obj.__qualname__} has no run() method",
                hint="subclass aether.AbstractTransformation and implement run(**inputs)",
            )
        try:
            instance = obj(**options)
        except TypeError as exc:
            raise PipelineError(
                f"Node '{node}': options {sorted(options)} do not fit "
                f"{obj.__qualname__}{_signature(obj)}: {exc}",
                hint="fix `options:` of the node in conf/base/pipeline.yml",
            ) from None
        return instance.run  # type: ignore[attr-defined]  # checked above: the class has run
    if isinstance(obj, AbstractTransformation):
        return obj.run
    if not callable(obj):
        raise PipelineError(
            f"Node '{node}': transformation {target!r} is not a class or a function",
            hint="point `transformation:` at a function or an AbstractTransformation subclass",
        )
    if options:
        raise PipelineError(
            f"Node '{node}': options are given but {getattr(obj, '__name__', obj)} is a function",
            hint="move the options into the function's inputs (params:...) or use a class",
        )
    return obj


def check_arguments(func: Callable[..., Any], node: str, args: list[str | None]) -> None:
    """Check that the node's inputs fit the callable's parameters, before anything runs."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return
    positional = [a for a in args if a is None]
    named = {a: None for a in args if a is not None}
    try:
        signature.bind(*positional, **named)
    except TypeError as exc:
        wanted = ", ".join(signature.parameters) or "no arguments"
        raise PipelineError(
            f"Node '{node}': its inputs {list(named) or len(positional)} do not fit "
            f"the transformation's parameters ({wanted}): {exc}",
            hint="make the node's `inputs:` keys match the argument names",
        ) from None


def _import_target(dotted: str, node: str) -> Any:
    try:
        return import_object(dotted)
    except (ImportError, AttributeError) as exc:
        raise PipelineError(
            f"Node '{node}': cannot import transformation '{dotted}': {exc}",
            hint="check the dotted path in pipeline.yml; project code is looked up in src/",
        ) from None
    except Exception as exc:
        raise PipelineError(
            f"Node '{node}': importing '{dotted}' raised {type(exc).__name__}: {exc}",
            hint="fix the error in that module (run with --debug for the traceback)",
        ) from exc


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"
