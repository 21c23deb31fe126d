"""The base class of every component's params model, and readable validation errors.

Validation problems are kept as ``(key path, message)`` pairs (:data:`Problem`) so that the
checks of a whole experiment config can be collected and reported together, each under its
full key path (``parts[1].train.epochs``). :func:`validate_section` is the one way to
validate data against a model and raise a :class:`~embedlab.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable
from typing import Any, TypeVar, get_args

import pydantic
from pydantic import ConfigDict, field_validator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from embedlab.errors import ConfigError

__all__ = [
    "INT64",
    "Loc",
    "Params",
    "Problem",
    "Problems",
    "clip",
    "describe_problems",
    "describe_validation_error",
    "did_you_mean",
    "key_path",
    "model_in",
    "section_problems",
    "short_repr",
    "validate_section",
    "validation_problems",
]

P = TypeVar("P", bound=pydantic.BaseModel)

#: A key path into a config, as pydantic writes it: ``("parts", 1, "train", "epochs")``.
Loc = tuple[str | int, ...]
#: One validation problem: where, and what is wrong there.
Problem = tuple[Loc, str]

#: Integers in any params field must lie in this closed range (what numpy and torch accept).
INT64 = (-(2**63), 2**63 - 1)
#: Longest repr of a value in a message, and longest single problem in a message.
REPR_CHARS = 200
PROBLEM_CHARS = 600
#: Most problems one message lists; the rest are counted.
MAX_PROBLEMS = 20

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 120
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 8
_repr.maxlevel = 3


def short_repr(value: Any) -> str:
    """``repr(value)``, bounded to :data:`REPR_CHARS` characters however large the value is."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"<an integer of {value.bit_length()} bits>"  # str() of huge ints is slow or refused
    return clip(_repr.repr(value), REPR_CHARS)


def clip(text: str, limit: int = PROBLEM_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the options closest to ``name``, or ``""`` when none is close.

    Close means :func:`difflib.get_close_matches` at its default cutoff, or else an option
    that starts the name or that the name starts (``lrate``: ``lr``).
    """
    name, names = str(name), list(options)
    close = difflib.get_close_matches(name, names, n=3) or [
        o for o in names if len(o) >= 2 and (name.startswith(o) or o.startswith(name))
    ][:3]
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def _int64_problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` (or an integer inside it) is no 64-bit integer, or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = INT64
        return None if low <= value <= high else f"{short_repr(value)} does not fit in a 64-bit integer"
    if depth < 4 and isinstance(value, list | tuple | set | frozenset | dict):
        items = value.values() if isinstance(value, dict) else value
        return next((p for v in items if (p := _int64_problem(v, depth + 1))), None)
    return None


class Params(pydantic.BaseModel):
    """Base class for a component's parameters.

    Subclass it with one pydantic field per parameter, each with a default and a
    ``description``. Unknown fields are refused, so a misspelled parameter is an error
    rather than silently ignored. Every field also refuses NaN and infinite floats and
    integers outside the 64-bit range, which numpy and torch cannot hold.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False)

    @field_validator("*", mode="wrap")
    @classmethod
    def _fits_int64(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        result = handler(value)
        problem = _int64_problem(result)
        if problem:
            raise ValueError(f"{problem}; use a value between {INT64[0]} and {INT64[1]}")
        return result

    def as_kwargs(self) -> dict[str, Any]:
        """Return the fields as keyword arguments for the component's factory."""
        return {name: getattr(self, name) for name in type(self).model_fields}


class Problems(ValueError):
    """Raised by a validator that found several problems, each relative to the field it checks.

    Pydantic keeps the exception, so :func:`validation_problems` reports each problem under
    the field's path followed by its own.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{key_path(loc) or '(here)'}: {msg}" for loc, msg in problems))
        self.problems = problems


def key_path(loc: Loc) -> str:
    """Write a key path the way a user reads it: ``parts[1].train.epochs``."""
    out = ""
    for part in loc:
        key = clip(str(part), 80)  # a key may be as long as the file
        out += f"[{key}]" if isinstance(part, int) else (f".{key}" if out else key)
    return out


def model_in(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model an annotation holds (``list[M]``, ``M | None``...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    return next((m for a in get_args(annotation) if (m := model_in(a)) is not None), None)


def _model_at(model: type[pydantic.BaseModel] | None, loc: Loc) -> type[pydantic.BaseModel] | None:
    """The model whose fields the keys at ``loc`` are, following ``loc`` down from ``model``."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, str):
            info = model.model_fields.get(part)
            model = None if info is None else model_in(info.annotation)
    return model


def _allowed(model: type[pydantic.BaseModel] | None, field: str | int) -> str:
    info = model.model_fields.get(field) if model is not None and isinstance(field, str) else None
    if info is None:
        return ""
    parts = [getattr(info.annotation, "__name__", None) or str(info.annotation).replace("typing.", "")]
    for meta in info.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return "; allowed: " + " ".join(parts)


def _unknown_key(model: type[pydantic.BaseModel] | None, key: str | int) -> str:
    if model is None:
        return "Extra inputs are not permitted"
    fields = list(model.model_fields)
    return (
        f"Extra inputs are not permitted{did_you_mean(str(key), fields)} "
        f"(known fields: {', '.join(fields) or 'none'})"
    )


def validation_problems(exc: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> list[Problem]:
    """Turn a pydantic error into problems: each bad field's path, value, reason and what is allowed.

    An unknown key gets the closest known field names (``lrate``: did you mean ``lr``?).

    Parameters
    ----------
    exc
        The error pydantic raised.
    model
        The model that raised it, used to describe the allowed values.
    """
    problems: list[Problem] = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, Problems):
            problems += [((*loc, *sub), msg) for sub, msg in cause.problems]
        elif err["type"] == "value_error":  # our own validators: the message is complete
            problems.append((loc, str(err["msg"]).removeprefix("Value error, ")))
        elif err["type"] == "extra_forbidden":
            problems.append((loc, _unknown_key(_model_at(model, loc[:-1]), loc[-1])))
        else:
            msg = "Input is too large for an integer" if err["type"] == "int_parsing_size" else err["msg"]
            got = "" if err["type"] == "missing" else f" (got {short_repr(err.get('input'))})"
            owner = _model_at(model, loc[:-1]) if loc else None
            problems.append((loc, f"{msg}{got}{_allowed(owner, loc[-1]) if loc else ''}"))
    return problems


def _item(loc: Loc, message: str) -> str:
    path = key_path(loc)
    return clip(f"{path}: {message}" if path else message)


def describe_problems(problems: list[Problem], source: str | None = None) -> str:
    """One line listing every problem (at most :data:`MAX_PROBLEMS`, each bounded), after ``source``.

    ``source`` (a file name) starts the message; then ``key.path: problem`` items follow,
    joined by ``"; "``.
    """
    items = [_item(loc, msg) for loc, msg in dict.fromkeys(problems)]
    shown = items[:MAX_PROBLEMS]
    text = "; ".join(shown)
    if len(items) > 1:
        text = f"{len(items)} problems: {text}"
    if len(items) > len(shown):
        text += f"; and {len(items) - len(shown)} more"
    return f"{source}: {text}" if source else text


def describe_validation_error(exc: pydantic.ValidationError, model: type[pydantic.BaseModel]) -> str:
    """Turn a pydantic error into one line per bad field: field, value, reason, what is allowed.

    Parameters
    ----------
    exc
        The error pydantic raised.
    model
        The model that raised it, used to describe the allowed values.
    """
    return "; ".join(_item(loc, msg) for loc, msg in validation_problems(exc, model))


def section_problems(model: type[pydantic.BaseModel], data: Any, loc: Loc) -> list[Problem]:
    """Validate one block of a config against its model; return its problems under ``loc``."""
    try:
        model.model_validate(data)
    except pydantic.ValidationError as exc:
        return [((*loc, *sub), msg) for sub, msg in validation_problems(exc, model)]
    return []


def validate_section(model: type[P], data: Any, section: str) -> P:
    """Validate data against a model: a config block (``train:``), a component's params, a config.

    Parameters
    ----------
    model
        The pydantic model.
    data
        What to validate.
    section
        What ``data`` is (``"train"``, ``"loss 'triplet'"``); it starts the error message.

    Raises
    ------
    ConfigError
        Naming ``section``, each bad field, the value and what is allowed.
    """
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{section}: " + describe_validation_error(exc, model)) from None
