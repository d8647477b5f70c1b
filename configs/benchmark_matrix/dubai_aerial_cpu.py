# The v1 CPU benchmark matrix (history: docs/results/dubai_aerial_cpu/): ResNet-18, 128 px,
# real Dubai aerial imagery. Every method pretrains once (seed 0) on tiles 1-6 plus the
# unlabelled scenes with the same data, augmentations, backbone, batch (32) and epochs (30); each
# pretrained backbone is then fine-tuned with mmseg heads on tiles 1-6 and evaluated on tile 7,
# at every protocol, label fraction and seed. Fixed in advance, not tuned on tile 7.
#   python tools/benchmarks/run_matrix.py configs/benchmark_matrix/dubai_aerial_cpu.py
#   python tools/benchmarks/collect_results.py configs/benchmark_matrix/dubai_aerial_cpu.py
work_dir = 'work_dirs/benchmark/dubai_aerial_cpu'
# The labelled tiles, converted once into work_dir/data/dubai_aerial (mmseg layout).
convert_dubai_aerial = '{{$GRASS_MM_DATA:../shared/data}}/dubai_aerial'
grass = 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
methods = dict(
    random=None,  # no pretraining: mmseg's default initialisation
    simclr='configs/simclr/simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
    mocov2='configs/mocov2/mocov2_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
    byol='configs/byol/byol_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
    densecl='configs/densecl/densecl_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
    grass=grass,  # warm-up 3 of 30 epochs (10 %)
)
# GraSS ablations: warm-up length (0 / 30 / 50 % of the 30 epochs) and guide scale.
ablations = dict(
    grass_warmup0=dict(
        config=grass,
        cfg_options=dict(custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=0)])),
    grass_warmup30=dict(
        config=grass,
        cfg_options=dict(custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=9)])),
    grass_warmup50=dict(
        config=grass,
        cfg_options=dict(custom_hooks=[dict(type='GraSSStageHook', warmup_epochs=15)])),
    grass_guide0p5=dict(config=grass, cfg_options=dict(model=dict(guide_scale=0.5))),
)
# Run on the frozen-backbone cell: its seed-to-seed differences are a tenth of full fine-tuning's
# (GraSS - SimCLR +2.75 +- 0.50 frozen against +0.95 +- 5.13 full), so an ablation can be read
# there.
ablation_cells = dict(heads=['deeplabv3plus'], protocols=['frozen'], fractions=[1.0])
_seg = 'configs/benchmarks/dubai_aerial/{}_r18-d8_1xb8-400i{}_dubai-aerial-128x128.py'
downstream = dict(
    deeplabv3plus=dict(
        full=_seg.format('deeplabv3plus', ''), frozen=_seg.format('deeplabv3plus', '-frozen')),
    fcn=dict(full=_seg.format('fcn', ''), frozen=_seg.format('fcn', '-frozen')),
)
fractions = [1.0, 0.1]
seeds = [0, 1, 2]
pretrain_seed = 0
# Table labels.
names = dict(
    random='Random init',
    simclr='SimCLR',
    mocov2='MoCo v2',
    byol='BYOL',
    densecl='DenseCL',
    grass='GraSS',
    grass_warmup0='GraSS, warm-up 0 %',
    grass_warmup30='GraSS, warm-up 30 %',
    grass_warmup50='GraSS, warm-up 50 %',
    grass_guide0p5='GraSS, guide scale 0.5')
# The comparison the tables judge, fixed before any run: GraSS >= SimCLR + 1.5 mIoU (the paper's
# mean gain is +1.57) and >= every other baseline, as means over at least 3 seeds.
comparison = dict(method='grass', reference='simclr', margin=1.5, min_seeds=3)
