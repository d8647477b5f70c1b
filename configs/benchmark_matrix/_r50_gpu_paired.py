# What the four paired GPU presets share (potsdam_r50_gpu.py, vaihingen_r50_gpu.py,
# loveda_urban_r50_gpu.py, loveda_rural_r50_gpu.py): the protocol of the CPU benchmark
# (docs/en/user_guides/benchmark.md) at the paper's size. Per pretraining seed one init; one
# shared warm-up per method family (the first 35 of 350 epochs, where the GS configs switch),
# continued by the base method and its GS twin from the same checkpoint, data order and
# augmentation draws (SimCLR's also by the random-box control); held-out probes and purity on
# the dataset's validation split; DeepLabV3+ R-50 fine-tuning (mmseg's 80k schedule).
# Each preset gives `names`: {data} (the configs' dataset suffix), {root} (the converted data)
# and {seg} (the fine-tuning config), filled into the paths below when the matrix is loaded.
pretrain_seeds = [0, 1, 2]
_cfg = 'configs/{0}/{1}_resnet50_1xb256-coslr-350e_{{data}}.py'
warmups = dict(
    simclr_warmup=dict(config=_cfg.format('grass', 'grass'), epochs=35),
    mocov2_warmup=dict(config=_cfg.format('gs', 'gs-mocov2'), epochs=35),
    byol_warmup=dict(config=_cfg.format('gs', 'gs-byol'), epochs=35),
    densecl_warmup=dict(config=_cfg.format('gs', 'gs-densecl'), epochs=35))
arms = dict(
    simclr=dict(config=_cfg.format('simclr', 'simclr'), from_='warmup', warmup='simclr_warmup'),
    grass=dict(config=_cfg.format('grass', 'grass'), from_='warmup', warmup='simclr_warmup'),
    grass_random_boxes=dict(
        config=_cfg.format('grass', 'grass-random-boxes'), from_='warmup', warmup='simclr_warmup'),
    mocov2=dict(config=_cfg.format('mocov2', 'mocov2'), from_='warmup', warmup='mocov2_warmup'),
    gs_mocov2=dict(config=_cfg.format('gs', 'gs-mocov2'), from_='warmup', warmup='mocov2_warmup'),
    byol=dict(config=_cfg.format('byol', 'byol'), from_='warmup', warmup='byol_warmup'),
    gs_byol=dict(config=_cfg.format('gs', 'gs-byol'), from_='warmup', warmup='byol_warmup'),
    densecl=dict(config=_cfg.format('densecl', 'densecl'), from_='warmup', warmup='densecl_warmup'),
    gs_densecl=dict(
        config=_cfg.format('gs', 'gs-densecl'), from_='warmup', warmup='densecl_warmup'))
checkpoint_interval = 35  # every probe epoch; ~0.2 GB each, 10 checkpoints an arm
probe_epochs = [35, 175, 350]
# The stage-4 linear and k-NN probes fitted on 200 training images and scored on 200 validation
# images of the fine-tuning config's splits, at half scale.
probe = dict(stages=[4], seed=0, dataset_config='{seg}', max_images=200)
# Sampling purity of every GS arm on 256 validation images (2 views each); 0 is the converters'
# no-data/boundary label.
purity = dict(
    arms=['grass', 'gs_mocov2', 'gs_byol', 'gs_densecl'],
    epochs=[35, 350],
    split='the validation split of {root}',
    img_dir='{root}/img_dir/val',
    ann_dir='{root}/ann_dir/val',
    ignore_labels=[0, 255],
    num_images=256,
    seed=0)
segmentation = dict(
    config='{seg}', arms=['random'] + list(arms), pretrain_seeds=[0, 1, 2], epoch=350, seeds=[0])
# Processes per step (tools/dist_train.sh when > 1): the 1xb256 pretraining on one GPU, the
# 4xb4 fine-tuning over 4, as mmseg ran it (set finetune=1 and scale the lr for one GPU).
gpus = dict(pretrain=1, finetune=4)
gs_pairs = [('grass', 'simclr'), ('gs-mocov2', 'mocov2'), ('gs-byol', 'byol'),
            ('gs-densecl', 'densecl')]
comparisons = gs_pairs + [('grass', 'grass-random-boxes'), ('grass-random-boxes', 'simclr'),
                          ('simclr', 'random'), ('mocov2', 'random'), ('byol', 'random'),
                          ('densecl', 'random')]
