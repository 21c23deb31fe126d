"""Study 1 of the seed, redone with embedlab: exploring word embeddings.

Runs every step on the embedded default vectors (trained once on gensim's Wikipedia excerpt
and the Lee corpus) and, when the ``embedlab-sbert`` plugin is installed, on vectors from
all-MiniLM-L6-v2 (offline). Writes one PNG per figure and prints the tables:

    python examples/words_study.py --out runs/words_study [--sbert-vocab 10000] [--no-sbert]

Words a vocabulary lacks (the small default corpus has no ``hardy`` or ``calf``) are reported
and left out of that space's figures.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from embedlab.io import save_figure  # noqa: E402
from embedlab.plots import words as wplots  # noqa: E402
from embedlab.words import WordVectors  # noqa: E402

NEIGHBOR_WORDS = ["hardy", "breaking", "italy", "mother"]
DISTANCES = {"italy": (["spain", "rome"], ["italians", "banana"]), "mother": (["father"], ["she", "car"])}
FORMULATIONS = [("king", "woman", "man"), ("actor", "woman", "man"), ("husband", "woman", "man")]
GENDER = [("actor", "actress"), ("king", "queen"), ("man", "woman"), ("boy", "girl")]
AGE = [("man", "boy"), ("woman", "girl")]
PLURAL = [("car", "cars"), ("house", "houses"), ("city", "cities"), ("farm", "farms"), ("river", "rivers")]
GROUPS = {
    "countries": ["italy", "spain", "france", "germany", "greece"],
    "family": ["mother", "father", "sister", "brother", "daughter"],
    "animals": ["cow", "sheep", "horse", "pig", "dog"],
    "numbers": ["two", "three", "four", "five", "six"],
}
DIAGNOSIS = ("old", "young", "cow", ["calf", "veal"])  # cow + young - old should be calf (or veal)
STUDY_WORDS = sorted(
    set(NEIGHBOR_WORDS)
    | {w for k, (n, f) in DISTANCES.items() for w in [k, *n, *f]}
    | {w for t in FORMULATIONS for w in t}
    | {w for p in GENDER + AGE + PLURAL for w in p}
    | {w for g in GROUPS.values() for w in g}
    | {"old", "young", "cow", "calf", "veal", "mad"}
)


def known(wv: WordVectors, words: list[str], what: str) -> list[str]:
    missing = [w for w in words if w not in wv]
    if missing:
        print(f"  ({what}: not in this vocabulary: {', '.join(missing)})")
    return [w for w in words if w in wv]


def known_pairs(wv: WordVectors, pairs: list[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    kept = [p for p in pairs if p[0] in wv and p[1] in wv]
    if len(kept) < len(pairs):
        print(f"  ({what}: pairs left out for unknown words: {[p for p in pairs if p not in kept]})")
    return kept


def study(name: str, wv: WordVectors, out: Path) -> None:
    print(f"\n=== {name}: {wv}")
    out.mkdir(parents=True, exist_ok=True)

    def save(fig: plt.Figure, stem: str) -> None:
        print(f"  figure: {save_figure(fig, out / f'{stem}.png')}")
        plt.close(fig)

    print("-- nearest neighbours (batched)")
    words = known(wv, NEIGHBOR_WORDS, "neighbours")
    for w, rows in zip(words, wv.neighbors(words, topn=10), strict=True):
        print(f"  {w}: " + ", ".join(f"{x} {s:.2f}" for x, s in rows))
    save(wplots.plot_neighbors(wv, words, topn=10), "neighbors")

    print("-- distance tables: near words against far words")
    tables = []
    for main, (near, far) in DISTANCES.items():
        if main not in wv:
            continue
        table = wv.distance_table(main, known(wv, near, "near"), known(wv, far, "far"))
        print(table.to_string(index=False), f"\n  far is farther: {table.attrs.get('far_is_farther')}")
        tables.append(table)
    if tables:
        fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 3))
        for ax, table in zip(list(getattr(axes, "flat", [axes])), tables, strict=True):
            wplots.plot_distance_table(table, ax=ax)
        fig.tight_layout()
        save(fig, "distances")

    print("-- the two analogy formulations")
    for w1, w2, w3 in FORMULATIONS:
        if all(w in wv for w in (w1, w2, w3)):
            both = wv.formulations(w1, w2, w3, topn=5)
            for label, rows in both.items():
                print(f"  {label}: " + ", ".join(f"{x} {s:.2f}" for x, s in rows))
            save(wplots.plot_formulations(both), f"formulations-{w1}")
            print(f"  3CosMul {w1} + {w2} - {w3}: {wv.analogy([w1, w2], [w3], topn=3, method='3cosmul')}")

    print("-- difference vectors")
    gender = known_pairs(wv, GENDER, "gender")
    plural = known_pairs(wv, PLURAL, "plural")
    for stem, pairs in (("gender", gender), ("age", known_pairs(wv, AGE, "age")), ("plural", plural)):
        if pairs:
            save(wplots.plot_arrows(wv, pairs), f"arrows-{stem}")  # PCA, as drawn in the report
            save(wplots.plot_arrows(wv, pairs, method="offset"), f"arrows-{stem}-offset")

    print("-- groups")
    groups = {g: known(wv, ws, g) for g, ws in GROUPS.items()}
    save(wplots.plot_groups(wv, {g: ws for g, ws in groups.items() if ws}), "groups")

    print("-- diagnosing young : cow :: old : ?")
    a, b, c, expected = DIAGNOSIS
    exp = known(wv, expected, "expected answers")
    if all(w in wv for w in (a, b, c)) and exp:
        diag = wv.diagnose_analogy(a, b, c, exp, topn=8)
        print("  " + diag.summary().replace("\n", "\n  "))
        save(diag.figure(), "diagnosis-young-cow")

    print("-- benchmarks (Google analogies, WordSim353, SimLex-999)")
    print(wv.evaluate_analogies().summary())
    for path in ("wordsim353", "simlex999"):
        print(" ", wv.evaluate_similarity(path).summary())


def main() -> None:
    parser = argparse.ArgumentParser(description="Study 1: exploring word embeddings")
    parser.add_argument("--out", type=Path, default=Path("runs/words_study"))
    parser.add_argument("--sbert-vocab", type=int, default=10_000, help="wordfreq words to encode")
    parser.add_argument("--no-sbert", action="store_true", help="skip the sentence-transformers vectors")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    study("default", WordVectors.default(), args.out / "default")
    if args.no_sbert:
        return
    try:
        from embedlab_sbert.vectors import default_vocabulary, sbert_vectors
    except ImportError:
        print("\n(embedlab-sbert is not installed: pip install -e plugins/embedlab-sbert)")
        return
    vocab = default_vocabulary(args.sbert_vocab)
    vocab += [w for w in STUDY_WORDS if w not in set(vocab)]
    study("sbert all-MiniLM-L6-v2", sbert_vectors(words=vocab), args.out / "sbert")


if __name__ == "__main__":
    main()
