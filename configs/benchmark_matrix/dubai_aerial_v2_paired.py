# Benchmark v2, part 2: GraSS against SimCLR and the random-box control, paired, at three
# pretraining seeds (docs/en/user_guides/benchmark.md). Per seed: one random init -> one
# shared SimCLR warm-up (epochs 1-3 of the 30-epoch CPU schedule; GraSS's warm-up is SimCLR's
# loss) -> continuations to epoch 30 with the same data order and augmentation draws; the
# colour-preserving SimCLR recipe runs its own 30 epochs from the same init.
#   python tools/benchmarks/run_paired.py \
#       configs/benchmark_matrix/dubai_aerial_v2_paired.py --seeds 0
work_dir = 'work_dirs/benchmark/dubai_aerial_v2_paired'
record_dir = 'docs/results/dubai_aerial_v2_paired'
pretrain_seeds = [0, 1, 2]
_grass = 'configs/grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py'
warmup = dict(config=_grass, epochs=3)
arms = dict(
    simclr=dict(
        config='configs/simclr/simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
        from_='warmup'),
    grass=dict(config=_grass, from_='warmup'),
    grass_random_boxes=dict(
        config='configs/grass/grass-random-boxes_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
        from_='warmup'),
    simclr_rscolor=dict(
        config='configs/simclr/simclr_resnet18_1xb32-coslr-30e_dubai-aerial-128px-rscolor.py',
        from_='init'),
)
checkpoint_interval = 3
probe_epochs = [3, 15, 30]
# The stage-4 linear probe (100 % and 10 % of each fold's training images, one subset per fold
# for every arm) and the k-NN probe, 7 leave-one-tile-out folds (linear_probe.py).
probe = dict(stages=[4], fractions=[1.0, 0.1], subset_seed=0, seed=0)
_data = '{{$GRASS_MM_DATA:../shared/data}}'
_root = 'work_dirs/benchmark/dubai_aerial_v2_paired/data/dubai_aerial'
# Purity on the held-out tile 7 (never in the pretraining data), 256 images x 2 views.
purity = dict(
    arms=['grass', 'grass_random_boxes'],
    epochs=[3, 30],
    convert_dubai_aerial=f'{_data}/dubai_aerial',
    data_root=_root,
    img_dir=f'{_root}/img_dir/val',
    ann_dir=f'{_root}/ann_dir/val',
    ignore_labels=[5, 255],
    num_images=256,
    seed=0)
# A real mmseg head, run because a probe's GraSS - SimCLR interval excluded 0 (the k-NN one
# did, the linear one did not): one frozen-backbone FCN per arm at epoch 30 (and the shared
# init), pretraining seed 0, fold "test tile 7", the 1200-iteration schedule of part 1.
segmentation = dict(
    config='configs/benchmarks/dubai_aerial/'
    'fcn_r18-d8_1xb8-1200i-frozen_dubai-aerial-loto-128x128.py',
    arms=['random', 'simclr', 'grass', 'grass_random_boxes', 'simclr_rscolor'],
    pretrain_seeds=[0],
    epoch=30,
    fold=7,
    seed=0,
    convert_dubai_aerial=f'{_data}/dubai_aerial',
    data_root='work_dirs/benchmark/dubai_aerial_v2_paired/data/dubai_aerial_all')
