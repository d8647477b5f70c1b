# The paired benchmark on LoveDA Urban at the paper's size (GPU; _r50_gpu_paired.py has the
# protocol): ResNet-50, 224 px views of the LoveDA Urban training patches, 350 epochs, three
# pretraining seeds; SimCLR, GraSS and the random-box control from SimCLR's warm-up, MoCo v2,
# BYOL and DenseCL each beside its GS twin from its own warm-up. Prepare the data first
# (docs/en/user_guides/data.md: prepare_rs_benchmark.py loveda), then
#   python tools/benchmarks/run_paired.py configs/benchmark_matrix/loveda_urban_r50_gpu.py --seeds 0
#   python tools/benchmarks/collect_paired.py configs/benchmark_matrix/loveda_urban_r50_gpu.py
# Smoke run on the CPU first (tiny schedule, the real crop in ../shared/data):
#   python tools/benchmarks/smoke_paired.py configs/benchmark_matrix/loveda_urban_r50_gpu.py \
#       ../shared/data/rs_benchmark_crops/pseudo_loveda_dataset
# Not run at full size by this project (no GPU was lent); the suite checks that its smoke reads
# its crop in every step, and `pytest -m presets` runs the smoke whole
# (docs/en/user_guides/benchmark.md, "The GPU presets").
# Probes, purity and fine-tuning read mmseg's LoveDA splits, which hold the urban and the rural
# tiles together (mmseg's converter merges them); only the pretraining data are urban.
_base_ = ['./_r50_gpu_paired.py']
dataset = 'LoveDA Urban'
names = dict(
    data='loveda-urban',
    root='data/loveDA',
    seg='configs/benchmarks/loveda/deeplabv3plus_r50-d8_4xb4-80k_loveda-512x512.py')
work_dir = 'work_dirs/benchmark/loveda_urban_r50_gpu'
record_dir = 'docs/results/loveda_urban_r50_gpu'
