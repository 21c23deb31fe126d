"""Diagnosing a failing analogy, as the word exercise did for ``young : cow :: old : ?``.

With the convention ``a : b :: c : ?`` (answer near ``b - a + c``), the exercise's question is
``diagnose_analogy(wv, "old", "young", "cow", ["calf", "veal"])``: cow + young - old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab.errors import InputError
from embedlab.words.engine import check_method

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from embedlab.words.vectors import WordVectors

__all__ = ["AnalogyDiagnosis", "diagnose_analogy"]


@dataclass(frozen=True)
class AnalogyDiagnosis:
    """What :func:`diagnose_analogy` found.

    Attributes
    ----------
    a, b, c
        The question ``a : b :: c : ?``.
    method
        The analogy method scored.
    top
        The best answers with their scores, input words excluded.
    top_with_inputs
        The best answers when the input words are *not* excluded.
    lands_on_input
        Whether the unexcluded best answer is one of ``a, b, c``.
    expected
        ``{word: (rank, score)}``: where each expected answer ranks (1-based, inputs excluded).
    offset_cosines
        ``{expected: cos(b - a, expected - c)}``: whether the question's offset (young - old)
        points the same way as the expected pair's (calf - cow).
    """

    a: str
    b: str
    c: str
    method: str
    top: list[tuple[str, float]]
    top_with_inputs: list[tuple[str, float]]
    lands_on_input: bool
    expected: dict[str, tuple[int, float]]
    offset_cosines: dict[str, float]
    wv: Any = field(repr=False, default=None)

    def summary(self) -> str:
        """A readable report."""
        lines = [
            f"{self.a} : {self.b} :: {self.c} : ?   ({self.method}; "
            f"answer near {self.b} - {self.a} + {self.c})"
        ]
        lines.append("top answers: " + ", ".join(f"{w} {s:.2f}" for w, s in self.top))
        for word, (rank, score) in self.expected.items():
            lines.append(
                f"expected {word!r}: rank {rank}, score {score:.3f}; "
                f"cos({self.b}-{self.a}, {word}-{self.c}) = {self.offset_cosines[word]:.3f}"
            )
        first = self.top_with_inputs[0][0] if self.top_with_inputs else "?"
        lines.append(
            f"without excluding the inputs the best answer is {first!r}"
            + (" (an input word)" if self.lands_on_input else "")
        )
        return "\n".join(lines)

    def figure(self, **kwargs: Any) -> Figure:
        """The diagnosis figure; see :func:`embedlab.plots.words.plot_diagnosis`."""
        from embedlab.plots.words import plot_diagnosis

        return plot_diagnosis(self, **kwargs)


def diagnose_analogy(
    wv: WordVectors,
    a: str,
    b: str,
    c: str,
    expected: Iterable[str] | str,
    *,
    topn: int = 10,
    method: str = "3cosadd",
    eps: float = 1e-3,
) -> AnalogyDiagnosis:
    """Explain an analogy ``a : b :: c : ?`` whose answer is not the expected one.

    Parameters
    ----------
    wv
        The vectors.
    a, b, c
        The question; the answer is sought near ``b - a + c``.
    expected
        The answer(s) that should have come out (``["calf", "veal"]``).
    topn
        How many answers to list.
    method
        ``"3cosadd"``, ``"3cosmul"`` or ``"pairdistance"``.
    eps
        3CosMul's epsilon.
    """
    check_method(method)
    exp = [expected] if isinstance(expected, str) else list(expected)
    if not exp:
        raise InputError("give at least one expected answer")
    ia, ib, ic = (int(i) for i in wv.indices([a, b, c], "question words"))
    ie = wv.indices(exp, "expected words")
    scores = wv.engine.score_all(method, np.array([[ib, ic]]), np.array([[ia]]), eps=eps)[0].astype(
        np.float64
    )
    keys = wv.kv.index_to_key
    order_all = np.argsort(-scores, kind="stable")[: topn + 3]
    top_with_inputs = [(keys[i], float(scores[i])) for i in order_all[:topn]]
    masked = scores.copy()
    masked[[ia, ib, ic]] = -np.inf
    order = np.argsort(-masked, kind="stable")[:topn]
    top = [(keys[i], float(masked[i])) for i in order if np.isfinite(masked[i])]
    ranks = {}
    for word, i in zip(exp, ie, strict=True):
        s = masked[i]
        rank = int(np.count_nonzero(masked > s)) + 1 if np.isfinite(s) else 0
        ranks[word] = (rank, float(scores[i]))
    U = wv.engine.unit
    offset = U[ib] - U[ia]
    cosines = {}
    for word, i in zip(exp, ie, strict=True):
        other = U[i] - U[ic]
        denom = float(np.linalg.norm(offset) * np.linalg.norm(other)) or 1.0
        cosines[word] = float(offset @ other) / denom
    return AnalogyDiagnosis(
        a=a,
        b=b,
        c=c,
        method=method,
        top=top,
        top_with_inputs=top_with_inputs,
        lands_on_input=bool(top_with_inputs) and int(order_all[0]) in {ia, ib, ic},
        expected=ranks,
        offset_cosines=cosines,
        wv=wv,
    )
