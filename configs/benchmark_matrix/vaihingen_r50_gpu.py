# The paired benchmark on Vaihingen at the paper's size (GPU; _r50_gpu_paired.py has the
# protocol): ResNet-50, 224 px views of the Vaihingen training patches, 350 epochs, three
# pretraining seeds; SimCLR, GraSS and the random-box control from SimCLR's warm-up, MoCo v2,
# BYOL and DenseCL each beside its GS twin from its own warm-up. Prepare the data first
# (docs/en/user_guides/data.md: prepare_rs_benchmark.py vaihingen), then
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/vaihingen_r50_gpu.py --seeds 0
#   python tools/benchmarks/collect_paired.py configs/benchmark_matrix/vaihingen_r50_gpu.py
# Smoke run on the CPU first (tiny schedule, the real crop in ../shared/data):
#   python tools/benchmarks/smoke_paired.py configs/benchmark_matrix/vaihingen_r50_gpu.py \
#       ../shared/data/rs_benchmark_crops/pseudo_vaihingen_dataset
# Not run at full size by this project (no GPU was lent); its smoke ran whole on the CPU
# (docs/en/user_guides/benchmark.md, "The GPU presets").
_base_ = ['./_r50_gpu_paired.py']
dataset = 'Vaihingen'
names = dict(
    data='vaihingen',
    root='data/vaihingen',
    seg='configs/benchmarks/vaihingen/deeplabv3plus_r50-d8_4xb4-80k_vaihingen-512x512.py')
work_dir = 'work_dirs/benchmark/vaihingen_r50_gpu'
record_dir = 'docs/results/vaihingen_r50_gpu'
