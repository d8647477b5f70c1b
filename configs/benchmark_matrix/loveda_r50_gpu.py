# The full-size preset (GPU): ResNet-50, 224 px pretraining (loveda-urban), 512 px mmseg fine-tuning
# on loveda. Prepare the data first (docs/en/data.md): prepare_rs_benchmark.py loveda.
#   python tools/benchmarks/run_matrix.py configs/benchmark_matrix/loveda_r50_gpu.py
#   python tools/benchmarks/collect_results.py configs/benchmark_matrix/loveda_r50_gpu.py \
#       --dataset LoveDA
# One GPU runs the 4xb4 configs with batch 4 (mmseg's 4 GPUs x 4): scale the lr or use
# tools/dist_train.sh to match the mmseg setting exactly. Not run at full size by this project
# (no GPU was lent); GraSS and random init ran end to end at seed 0 with 100 % labels, at a
# tiny schedule on the CPU, through tools/benchmarks/smoke_matrix.py on the real crop in
# ../shared/data (docs/en/benchmark_v2.md).
work_dir = 'work_dirs/benchmark/loveda_r50_gpu'
methods = dict(
    random=None,
    simclr='configs/simclr/simclr_resnet50_1xb256-coslr-350e_loveda-urban.py',
    mocov2='configs/mocov2/mocov2_resnet50_1xb256-coslr-350e_loveda-urban.py',
    byol='configs/byol/byol_resnet50_1xb256-coslr-350e_loveda-urban.py',
    densecl='configs/densecl/densecl_resnet50_1xb256-coslr-350e_loveda-urban.py',
    grass='configs/grass/grass_resnet50_1xb256-coslr-350e_loveda-urban.py',
)
downstream = dict(
    deeplabv3plus=dict(
        full='configs/benchmarks/loveda/deeplabv3plus_r50-d8_4xb4-80k_loveda-512x512.py',
        frozen='configs/benchmarks/loveda/deeplabv3plus_r50-d8_4xb4-80k-frozen_loveda-512x512.py'),
    fcn=dict(
        full='configs/benchmarks/loveda/fcn_r50-d8_4xb4-80k_loveda-512x512.py',
        frozen='configs/benchmarks/loveda/fcn_r50-d8_4xb4-80k-frozen_loveda-512x512.py'),
)
fractions = [1.0, 0.1]
seeds = [0, 1, 2]
pretrain_seed = 0
names = dict(
    random='Random init',
    simclr='SimCLR',
    mocov2='MoCo v2',
    byol='BYOL',
    densecl='DenseCL',
    grass='GraSS')
