"""What losses and miners share: a name, validated params, a readable repr."""

from __future__ import annotations

from typing import Any, ClassVar

from embedlab.learn.plugin import builtin_for
from embedlab.params import Params, validate_section

__all__ = ["ParamsComponent"]


class ParamsComponent:
    """A component built from keyword parameters validated by its params model.

    A built-in class takes ``name`` and ``params_model`` from its row of
    :data:`embedlab.learn.plugin.BUILTINS` (matched by its import string), so the model is
    named once; another subclass sets both itself. Subclasses annotate ``params`` with their
    model so that its fields are typed.
    """

    #: ``"loss"`` or ``"miner"``, for messages.
    kind: ClassVar[str] = "component"
    name: ClassVar[str] = "component"
    params_model: ClassVar[type[Params]] = Params
    params: Params

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        builtin = builtin_for(cls)
        if builtin is not None:
            cls.name, cls.params_model = builtin.name, builtin.params

    def __init__(self, **params: Any) -> None:
        self.params = validate_section(self.params_model, params, f"{self.kind} {self.name!r}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.as_kwargs().items())
        return f"{type(self).__name__}({args})"
