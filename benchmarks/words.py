"""Word-vector benchmark: embedlab's batched queries against gensim, side by side in one run.

1. The Google analogy set over a 100k-word, 100-d vocabulary: ``WordVectors.evaluate_analogies``
   against gensim's ``evaluate_word_analogies`` (same protocol; the counts are checked equal).
2. Neighbours of 10,000 words: ``WordVectors.neighbors`` against a loop of ``most_similar``.
3. Both searches the bfloat16 screen takes (neighbours, and the Google set counted without
   ranks) again through it, with torch loaded (a session that has imported torch, as the sbert
   backend and metric learning do; its import is timed apart).
4. With a GPU: the Google set over 400k x 100 on it.

The vectors are random, with every word of the Google set in the vocabulary, so every
question is evaluated (the cost does not depend on the values). Run:
``python benchmarks/words.py [--vocab 100000] [--dim 100] [--neighbors 10000] [--json out.json]``;
``--skip-cpu`` runs only the GPU part (``benchmarks/gpu_check.sh`` uses it).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import time

import numpy as np


def _vectors(vocab: int, dim: int, seed: int = 0):
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    words: list[str] = []
    with open(datapath("questions-words.txt")) as fh:
        for line in fh:
            if not line.startswith(":"):
                words += line.split()
    unique = list(dict.fromkeys(words))
    rng = np.random.default_rng(seed)
    keys = unique + [f"w{i}" for i in range(vocab - len(unique))]
    rng.shuffle(keys)
    kv = KeyedVectors(dim)
    kv.add_vectors(keys, rng.standard_normal((vocab, dim), dtype=np.float32))
    return kv


def _time(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _row(name: str, ours: float, theirs: float | None) -> str:
    if theirs is None:
        return f"{name:<44} embedlab {ours:8.3f} s"
    return f"{name:<44} embedlab {ours:8.3f} s   gensim {theirs:8.2f} s   speed-up {theirs / ours:6.1f}x"


def cpu_runs(args: argparse.Namespace, questions: str, results: dict[str, object]) -> None:
    """The CPU comparisons with gensim, side by side."""
    from embedlab.device import cpu_has_native_bf16
    from embedlab.words import WordVectors

    kv = _vectors(args.vocab, args.dim)
    wv = WordVectors(kv, device="cpu")
    print(f"vocabulary {args.vocab} x {args.dim}, CPU (numpy); gensim on the same vectors")

    wv.engine.screen = False  # builds the engine, normalising once; float32 products until below
    kv.fill_norms()  # and gensim's normalisation
    t_ours, ours = _time(lambda: wv.evaluate_analogies(questions))
    t_google, (_, sections) = _time(lambda: kv.evaluate_word_analogies(questions))
    theirs = {
        s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]
    }
    assert ours.sections == theirs, "counts differ from gensim"
    print(_row(f"Google set, {ours.total} questions (3CosAdd, ranks)", t_ours, t_google))
    t_counts, counts = _time(lambda: wv.evaluate_analogies(questions, ranks=False))
    assert counts.sections == theirs
    print(_row("Google set, counts only (ranks=False)", t_counts, t_google))
    t_mul, _ = _time(lambda: wv.evaluate_analogies(questions, method="3cosmul"))
    print(_row("Google set, 3CosMul (gensim has none)", t_mul, None))
    results["analogies_cpu_3cosmul"] = {"embedlab_s": t_mul}

    words = kv.index_to_key[: args.neighbors]
    t_loop, loop = _time(lambda: [kv.most_similar(w, topn=10) for w in words])
    t_f32, batch = _time(lambda: wv.neighbors(words, topn=10))
    print(_row(f"neighbors of {len(words)} words (top 10)", t_f32, t_loop) + _same(batch, loop))

    t_import, _ = _time(lambda: importlib.import_module("torch"))
    native = cpu_has_native_bf16()
    print(
        f"through the bfloat16 screen, with torch loaded (its import took {t_import:.2f} s, once per"
        " process, outside the timings as gensim's is"
        + ("" if native else "; this CPU has no native bfloat16, so float32 products again")
        + "):"
    )
    wv.engine.screen = None
    t_screen, screened = _time(lambda: wv.neighbors(words, topn=10))
    print(_row(f"  neighbors of {len(words)} words", t_screen, t_loop) + _same(screened, loop))
    t_counts_screen, counts = _time(lambda: wv.evaluate_analogies(questions, ranks=False))
    assert counts.sections == theirs
    print(_row("  Google set, counts only", t_counts_screen, t_google))
    results["analogies_cpu"] = {
        "embedlab_s": t_ours,
        "embedlab_counts_only_s": t_counts,
        "embedlab_counts_only_screened_s": t_counts_screen,
        "gensim_s": t_google,
        "questions": ours.total,
    }
    results["neighbors_cpu"] = {
        "embedlab_s": t_f32,
        "embedlab_screened_s": t_screen,
        "gensim_s": t_loop,
        "torch_import_s": t_import,
        "native_bfloat16": native,
        "words": len(words),
    }


def _same(batch: list, loop: list) -> str:
    """How many of the batched lists hold the same words as gensim's, and what the rest differ in."""
    differ = [(x, y) for x, y in zip(batch, loop, strict=True) if [a for a, _ in x] != [b for b, _ in y]]
    # float32 products summed in another order can swap neighbours whose cosines differ by ~1e-7
    near_ties = sum(np.allclose([v for _, v in x], [v for _, v in y], atol=1e-6) for x, y in differ)
    return f"   same lists {len(batch) - len(differ)}/{len(batch)}" + (
        f" (of the rest, {near_ties} differ only in near ties)" if differ else ""
    )


def gpu_runs(args: argparse.Namespace, questions: str, results: dict[str, object]) -> None:
    """The Google set and neighbours over ``--gpu-vocab`` words on the GPU (no gensim run)."""
    import torch

    from embedlab.words import WordVectors

    device = torch.device(args.gpu_device)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{device.type} (torch)"
    big = WordVectors(_vectors(args.gpu_vocab, args.dim), device=device)
    big.evaluate_analogies(questions, restrict_vocab=args.gpu_vocab)  # warm-up: upload and kernels
    t_gpu, r = _time(lambda: big.evaluate_analogies(questions, restrict_vocab=args.gpu_vocab))
    print(_row(f"Google set over {args.gpu_vocab} x {args.dim} on {card}", t_gpu, None))
    t_counts, _ = _time(lambda: big.evaluate_analogies(questions, restrict_vocab=args.gpu_vocab, ranks=False))
    print(_row("  the same, counts only (ranks=False)", t_counts, None))
    t_nb, _ = _time(lambda: big.neighbors(big.words[: args.neighbors], topn=10))
    print(_row(f"neighbors of {args.neighbors} words over {args.gpu_vocab} on {card}", t_nb, None))
    results["analogies_gpu"] = {
        "embedlab_s": t_gpu,
        "embedlab_counts_only_s": t_counts,
        "card": card,
        "vocab": args.gpu_vocab,
        "questions": r.total,
    }
    results["neighbors_gpu"] = {"embedlab_s": t_nb, "card": card}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--neighbors", type=int, default=10_000)
    parser.add_argument("--gpu-vocab", type=int, default=400_000)
    parser.add_argument("--skip-cpu", action="store_true", help="only the GPU runs (for a short GPU lease)")
    parser.add_argument(
        "--gpu-device", default="cuda", help="device of the GPU runs ('cpu' exercises the torch engine without a GPU)"
    )
    parser.add_argument("--json", help="also write the timings to this JSON file")
    args = parser.parse_args()

    from gensim.test.utils import datapath

    results: dict[str, object] = {"machine": f"{platform.processor() or platform.machine()}"}
    questions = datapath("questions-words.txt")
    if not args.skip_cpu:
        cpu_runs(args, questions, results)
    try:
        import torch

        has_gpu = torch.cuda.is_available() or args.gpu_device != "cuda"
    except ImportError:
        has_gpu = False
    if has_gpu:
        gpu_runs(args, questions, results)
    else:
        print("no GPU here: the 400k-word GPU run is skipped")
    if args.json:
        from embedlab.io import write_json

        write_json(args.json, results)


if __name__ == "__main__":
    main()
