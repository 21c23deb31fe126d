#!/usr/bin/env bash
# The GPU checks of the metric-learning and word-vector issues, as one short run on a lent GPU machine.
#
# The GPU machine's image has torch, torchvision, scikit-learn, pandas, matplotlib, pluggy, pytest,
# click, pyyaml and tqdm, but not the rest of embedlab's needs. So first, here (with network):
#
#     bash benchmarks/gpu_check.sh --fetch-wheels
#
# This puts cp312 wheels of this checkout's versions into .whl/, which .git/info/exclude keeps out
# of git. Then, with the device tool:
#
#     run(command="bash benchmarks/gpu_check.sh", carry=[".whl"], timeout_s=540)
#
# It installs the wheels and this checkout into a scratch folder, then writes these files to $OUT:
# card.txt, gpu-tests.txt, throughput.txt, miners.txt, distributed.txt, words.txt and words.json.
# distributed.txt times data-parallel steps with nccl, one worker per GPU (1 and 2 workers where
# there are two GPUs; the GPU image has no Ray, so the workers are spawned by torch, not Ray Train).
# By estimate (it has not run on a GPU yet) it takes 6-8 minutes of a 15-minute lease.
#
# To try the flow without a GPU: PYTHON=.venv/bin/python DEVICE=cpu QUICK=1 OUT=/tmp/gpu-check bash
# benchmarks/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${1:-}" = "--fetch-wheels" ]; then
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  names='^(pydantic|pydantic[-_]core|annotated[-_]types|typing[-_]inspection|gensim|smart[-_]open|pytorch-metric-learning)=='
  mapfile -t pins < <(.venv/bin/python -m pip freeze | grep -iE "$names")
  [ "${#pins[@]}" -eq 7 ] || { echo "expected 7 pinned packages in .venv, found: ${pins[*]}" >&2; exit 1; }
  "$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl "${pins[@]}"
  exit
fi

site=${SITE:-/tmp/embedlab-site}
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out" "$site"
if compgen -G ".whl/*.whl" > /dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl || exit 1
fi
# embedlab itself, installed (not on PYTHONPATH alone): its components register through entry points
"$PY" -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --upgrade --target "$site" . || exit 1
export PYTHONPATH="$site"
device=${DEVICE:-cuda}

if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/card.txt" 2>&1
fi
"$PY" -m pytest -q -m gpu -p no:cacheprovider tests/learn/test_trainer.py tests/metrics/test_retrieval.py \
  tests/words/test_evaluation.py tests/test_device.py > "$out/gpu-tests.txt" 2>&1

if [ -n "${QUICK:-}" ]; then  # a few seconds each, to try the flow
  throughput=(--images 1024 --batch-sizes 128 --epochs 1 --rounds 1); miners=(--sizes 256 --miners semihard)
  words=(--gpu-vocab 20000 --neighbors 500 --gpu-device "$device"); distributed=(--steps 5 --warmup 1)
else
  throughput=(--rounds 1); miners=(--sizes 1024 4096); words=(); distributed=()
fi
"$PY" benchmarks/train_throughput.py --device "$device" "${throughput[@]}" > "$out/throughput.txt" 2>&1
"$PY" benchmarks/miners.py --device "$device" "${miners[@]}" > "$out/miners.txt" 2>&1
"$PY" benchmarks/distributed.py --device "$device" "${distributed[@]}" > "$out/distributed.txt" 2>&1
"$PY" benchmarks/words.py --skip-cpu --json "$out/words.json" "${words[@]}" > "$out/words.txt" 2>&1
tail -n 3 "$out"/*.txt
