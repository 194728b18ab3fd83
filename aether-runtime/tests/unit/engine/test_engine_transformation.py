"""Transformations: classes with options, plain functions, and checks made before running."""

from __future__ import annotations

from typing import Any

import pytest

from aether.engine.transformation import AbstractTransformation, check_arguments, resolve_callable
from aether.errors import PipelineError
from aether.support.dotted_paths import import_object


class Scale(AbstractTransformation):
    def __init__(self, factor: int = 1) -> None:
        self.factor = factor

    def run(self, values: list[int]) -> list[int]:
        return [v * self.factor for v in values]


class NoRun:
    pass


def add(a: int, b: int) -> int:
    return a + b


def test_class_is_built_with_the_node_options() -> None:
    run = resolve_callable(Scale, {"factor": 3}, "scale")

    assert run(values=[1, 2]) == [3, 6]


def test_an_instance_is_used_as_it_is() -> None:
    assert resolve_callable(Scale(2), {}, "scale")(values=[5]) == [10]


def test_plain_function_is_accepted() -> None:
    assert resolve_callable(add, {}, "add")(1, 2) == 3


def test_dotted_path_is_imported() -> None:
    func = resolve_callable("os.path.join", {}, "join")

    assert func("a", "b").replace("\\", "/") == "a/b"


def test_options_given_to_a_function_are_an_error() -> None:
    with pytest.raises(PipelineError, match=r"Node 'add': options are given but add is a function"):
        resolve_callable(add, {"factor": 2}, "add")


def test_options_that_do_not_fit_the_constructor_name_node_and_class() -> None:
    with pytest.raises(PipelineError, match=r"Node 'scale': options \['factr'\] do not fit Scale"):
        resolve_callable(Scale, {"factr": 2}, "scale")


def test_class_without_run_is_rejected() -> None:
    with pytest.raises(PipelineError, match="class NoRun has no run"):
        resolve_callable(NoRun, {}, "n")


def test_something_not_callable_is_rejected() -> None:
    with pytest.raises(PipelineError, match="is not a class or a function"):
        resolve_callable("os.sep", {}, "n")


def test_path_that_does_not_import_names_node_and_path() -> None:
    with pytest.raises(PipelineError) as caught:
        resolve_callable("no_such_package_zz.nodes.clean", {}, "clean")

    assert caught.value.message.startswith(
        "Node 'clean': cannot import transformation 'no_such_package_zz.nodes.clean'"
    )
    assert "src/" in (caught.value.hint or "")


def test_missing_attribute_suggests_the_nearest_name() -> None:
    with pytest.raises(AttributeError, match=r"did you mean 'os.path.join'\?"):
        import_object("os.path.jion")


def test_inputs_matching_the_signature_pass() -> None:
    check_arguments(add, "add", ["a", "b"])
    check_arguments(add, "add", [None, None])
    check_arguments(Scale().run, "scale", ["values"])


@pytest.mark.parametrize("args", [["a", "c"], ["a"], [None, None, None]])
def test_inputs_not_matching_the_signature_are_reported_before_running(
    args: list[str | None],
) -> None:
    with pytest.raises(PipelineError, match=r"Node 'add': its inputs .* do not fit") as caught:
        check_arguments(add, "add", args)

    assert "a, b" in caught.value.message


def test_var_keyword_functions_accept_any_named_input() -> None:
    def anything(**inputs: Any) -> None:
        return None

    check_arguments(anything, "n", ["x", "y"])
