#!/usr/bin/env bash
# The GPU checks in one go, on a machine with an NVIDIA GPU and PyTorch built for CUDA:
# the CUDA tests (tests/test_cuda.py, skipped where there is no GPU), the MLP's fit time by
# size on each device (where a GPU starts to pay) and the cpu/cuda benchmark (bench_device.py). docs/benchmarks.md ("On a GPU") holds the last run.
# Logs go under $OUT (default ./gpu-check). Each step has its own time limit, so a hang
# in one still leaves the others' logs.
set -u
out=${OUT:-gpu-check}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    nproc
    python3 -c "import torch, sklearn, pandas, lightgbm; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0), 'sklearn', sklearn.__version__, 'pandas', pandas.__version__, 'lightgbm', lightgbm.__version__)"
} 2>&1 | tee "$out/machine.txt"
timeout "${TEST_LIMIT:-300}" python3 -m pytest -o addopts="" -q -p no:cacheprovider tests/test_cuda.py \
    --durations=0 -rs 2>&1 | tee "$out/tests.log"
timeout "${CROSSOVER_LIMIT:-120}" python3 benchmarks/bench_device.py --crossover 250,500,1000,2000,4000,16000 \
    --devices cpu,cuda 2>&1 | tee "$out/crossover.md"
timeout "${BENCH_LIMIT:-300}" python3 benchmarks/bench_device.py --budget "${BUDGET:-15}" \
    --cases "${CASES:-breast_cancer,digits,tones,wide}" --devices "${DEVICES:-cpu,cuda,cuda-untuned}" \
    --json "$out/bench.json" 2>&1 | tee "$out/bench.md"
