"""The end-to-end demo: GraSS pretraining -> backbone export -> mmseg FCN fine-tuning -> mIoU.

    python tools/demo.py                                   # built-in SYNTHETIC aerial scenes
    python tools/demo.py --data-root ../shared/data/dubai_aerial   # real Dubai aerial tiles

Each run writes to a new work dir (default ``work_dirs/demo/<timestamp>``); an existing,
non-empty work dir is refused, so nothing from an earlier run is overwritten.

The console shows the plan, one progress line per phase (pretraining with its stage, loss, box
area and ETA; fine-tuning; evaluation), the stage switch and the summary. mmengine's full logs
(config dumps, hook tables, initialisation reports) go to the work dir (``console.log`` and each
run's own log); ``--verbose`` shows them on the console instead.
"""
import argparse
import os
import os.path as osp
import sys
import time

from mmengine.config import Config
from mmengine.runner import Runner, find_latest_checkpoint

import grass_mm  # noqa: F401  (registration and stack fixes)
from grass_mm.datasets import prepare_labelled_data
from grass_mm.engine import ConsoleProgressHook
from grass_mm.utils import extract_backbone, quiet, scale_iters, scale_schedule, set_workers

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
PRETRAIN = {
    'synthetic': 'grass/grass_resnet18_1xb16-coslr-30e_synthetic-128px.py',
    'dubai': 'grass/grass_resnet18_1xb32-coslr-30e_dubai-aerial-128px.py',
}
FINETUNE = {
    'synthetic': 'benchmarks/synthetic/fcn_r18-d8_1xb8-400i_synthetic-128x128.py',
    'dubai': 'benchmarks/dubai_aerial/fcn_r18-d8_1xb8-400i_dubai-aerial-128x128.py',
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-root',
        help='real data instead of the synthetic scenes: the Dubai aerial set in its original '
        "layout ('Tile N/images', 'Tile N/masks'), or a folder written by "
        'generate_synthetic_aerial')
    parser.add_argument('--work-dir', help='output folder (must be new or empty)')
    parser.add_argument('--seed', type=int, default=0, help='seed of data and training')
    parser.add_argument('--pretrain-epochs', type=int, help='override the pretraining epochs')
    parser.add_argument('--finetune-iters', type=int, help='override the fine-tuning iters')
    parser.add_argument('--num-workers', type=int, help='dataloader workers (default: config)')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="mmengine's full logs on the console instead of progress lines")
    return parser.parse_args()


def pretrain_config(kind: str, data: str, work_dir: str, args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(osp.join(CONFIGS, PRETRAIN[kind]))
    pipeline = cfg.train_dataloader.dataset.get('pipeline') or cfg.train_pipeline
    # Pretrain on the training split's images only; validation images never reach it.
    cfg.train_dataloader.dataset = dict(
        type='RepeatDataset',
        times=1 if kind == 'synthetic' else 4,
        dataset=dict(
            type='CustomDataset',
            data_root=osp.join(data, 'img_dir', 'train'),
            with_label=False,
            pipeline=pipeline))
    if args.pretrain_epochs is not None:
        scale_schedule(cfg, args.pretrain_epochs)
    # The online dense probe: fitted on the labelled training images, scored on the validation
    # images (never pretrained on): the fine-tuning config's splits.
    seg = Config.fromfile(osp.join(CONFIGS, FINETUNE[kind]))
    cfg.custom_hooks = [h for h in cfg.custom_hooks if h.type != 'DenseProbeHook'] + [
        dict(
            type='DenseProbeHook',
            train_split=dict(seg.train_dataloader.dataset, data_root=data),
            test_split=dict(seg.val_dataloader.dataset, data_root=data),
            interval=max(1, cfg.train_cfg.max_epochs // 3),
            scale=0.5 if kind == 'synthetic' else 0.25)
    ]
    cfg.work_dir = osp.join(work_dir, 'pretrain')
    cfg.randomness = dict(seed=args.seed)
    set_workers(cfg, args.num_workers)
    return cfg


def finetune_config(kind: str, data: str, backbone: str, work_dir: str,
                    args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(osp.join(CONFIGS, FINETUNE[kind]))
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = data
    cfg.model.backbone.init_cfg.checkpoint = backbone
    if args.finetune_iters is not None:
        scale_iters(cfg, args.finetune_iters)
    cfg.work_dir = osp.join(work_dir, 'finetune')
    cfg.randomness = dict(seed=args.seed)
    set_workers(cfg, args.num_workers)
    return cfg


def main() -> None:
    args = parse_args()
    start = time.time()
    console = sys.stdout
    work_dir = args.work_dir or osp.join('work_dirs', 'demo', time.strftime('%Y%m%d_%H%M%S'))
    if osp.isdir(work_dir) and os.listdir(work_dir):
        raise FileExistsError(f'work dir {work_dir} is not empty; choose a new --work-dir '
                              '(the demo never overwrites earlier results)')
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'console.log')
    with quiet(log_path, args.verbose):
        try:
            kind, data, how = prepare_labelled_data(args.data_root, osp.join(work_dir, 'data'),
                                                    args.seed)
        except (FileNotFoundError, ValueError) as err:
            raise SystemExit(f'demo: --data-root {err}')
        pre_cfg = pretrain_config(kind, data, work_dir, args)
    print(
        f'grass_mm demo: GraSS pretraining -> backbone export -> FCN fine-tuning -> mIoU\n'
        f'  data        {kind} ({data}; {how})\n'
        f'  model       ResNet-18, {pre_cfg.train_cfg.max_epochs} pretraining epochs '
        f'(SimCLR warm-up, then gradient-guided sampling), FCN head\n'
        f'  work dir    {work_dir} (full logs: ' +
        ('on the console' if args.verbose else 'console.log and each run\'s own log') + ')',
        flush=True)

    with quiet(log_path, args.verbose):
        pretrain = Runner.from_cfg(pre_cfg)
    if not args.verbose:
        pretrain.register_hook(ConsoleProgressHook('pretraining', console))
    with quiet(log_path, args.verbose):
        pretrain.train()
        checkpoint = find_latest_checkpoint(pretrain.work_dir)
        backbone = osp.join(work_dir, 'backbone.pth')
        count = extract_backbone(checkpoint, backbone)
        finetune = Runner.from_cfg(finetune_config(kind, data, backbone, work_dir, args))
    if not args.verbose:
        finetune.register_hook(ConsoleProgressHook('fine-tuning', console))
    with quiet(log_path, args.verbose):
        finetune.train()
    miou = finetune.message_hub.get_scalar('val/mIoU').current()
    hub = pretrain.message_hub
    probe = hub.get_scalar('probe/linear_mIoU').data[0]
    knn = hub.get_scalar('probe/knn_mAcc').data[0]
    floor = hub.get_scalar('probe/floor_mIoU').current()

    lines = [
        f'data         : {kind} ({data})',
        f'pretraining  : GraSS, ResNet-18, {pretrain.max_epochs} epochs / {pretrain.iter} iters'
        ' (SimCLR warm-up, then gradient-guided sampling)',
        f'probe        : linear mIoU {probe[0]:.2f} at random init, {probe[-1]:.2f} at epoch '
        f'{pretrain.max_epochs} (floor {floor:.2f}); k-NN mAcc {knn[0]:.2f} -> {knn[-1]:.2f} '
        '(held-out validation images; curve: pretrain/probe_curve.png)',
        f'checkpoint   : {checkpoint}',
        f'backbone     : {backbone} ({count} tensors, loads with weights_only=True)',
        f'fine-tuning  : FCN (mmseg) on the pretrained backbone, {finetune.iter} iters',
        f'val mIoU     : {miou:.2f}',
        f'logs         : {pretrain.log_dir} and {finetune.log_dir}',
        f'wall time    : {time.time() - start:.0f} s',
    ]
    print('\n'.join(['', '=' * 30 + ' grass_mm demo ' + '=' * 30] + lines))


if __name__ == '__main__':
    main()
