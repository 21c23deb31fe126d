"""The base class of every component's params model, and readable validation errors."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from pydantic import ConfigDict

__all__ = ["Params", "describe_validation_error", "validate_section"]

P = TypeVar("P", bound=pydantic.BaseModel)


class Params(pydantic.BaseModel):
    """Base class for a component's parameters.

    Subclass it with one pydantic field per parameter, each with a default and a
    ``description``. Unknown fields are refused, so a misspelled parameter is an error
    rather than silently ignored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    def as_kwargs(self) -> dict[str, Any]:
        """Return the fields as keyword arguments for the component's factory."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def _allowed(model: type[pydantic.BaseModel], field: str) -> str:
    info = model.model_fields.get(field)
    if info is None:
        return f"known fields: {', '.join(model.model_fields) or 'none'}"
    parts = [getattr(info.annotation, "__name__", None) or str(info.annotation).replace("typing.", "")]
    for meta in info.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return "allowed: " + " ".join(parts)


def describe_validation_error(exc: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> str:
    """Turn a pydantic error into one line per bad field: field, value, reason, what is allowed.

    Parameters
    ----------
    exc
        The error pydantic raised.
    model
        The model that raised it, used to describe the allowed values.
    """
    lines = []
    for err in exc.errors():
        if err["type"] == "value_error":  # raised by our own validators, already complete
            lines.append(str(err["msg"]).removeprefix("Value error, "))
            continue
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        top = str(err["loc"][0]) if err["loc"] else ""
        got = "" if err["type"] == "missing" else f" (got {err.get('input')!r})"
        lines.append(f"{loc}: {err['msg']}{got}; {_allowed(model, top)}")
    return "; ".join(lines)


def validate_section(model: type[P], data: Any, section: str) -> P:
    """Validate one block of a config (``train:``, ``tune:``, ``study:``) against its model.

    Raises
    ------
    ConfigError
        Naming the block, each bad field, the value and what is allowed.
    """
    from embedlab.errors import ConfigError

    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{section}: " + describe_validation_error(exc, model)) from None
