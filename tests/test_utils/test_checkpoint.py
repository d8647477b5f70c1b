import pytest
import torch

from grass_mm.utils import extract_backbone, weights_sha256


def test_extract_backbone_writes_plain_tensors(tmp_path):
    src, dst = tmp_path / 'epoch_1.pth', tmp_path / 'out' / 'backbone.pth'
    state = {
        'backbone.conv1.weight': torch.randn(2, 3),
        'backbone.bn1.bias': torch.zeros(2),
        'neck.fc0.weight': torch.ones(1)
    }
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, src)
    assert extract_backbone(str(src), str(dst)) == 2
    loaded = torch.load(dst, weights_only=True)['state_dict']
    assert set(loaded) == {'conv1.weight', 'bn1.bias'}
    assert torch.equal(loaded['conv1.weight'], state['backbone.conv1.weight'])
    with pytest.raises(FileExistsError, match='refusing to overwrite'):
        extract_backbone(str(src), str(dst))


def test_extract_backbone_refuses_a_checkpoint_without_backbone(tmp_path):
    src = tmp_path / 'head_only.pth'
    torch.save({'state_dict': {'head.fc.weight': torch.ones(1)}}, src)
    with pytest.raises(ValueError, match="holds no backbone.*head.fc.weight"):
        extract_backbone(str(src), str(tmp_path / 'b.pth'))
    assert not (tmp_path / 'b.pth').exists()


def test_exported_grass_backbone_loads_into_torchvision_resnet(grass_checkpoint, tmp_path):
    import torchvision
    dst = tmp_path / 'backbone.pth'
    count = extract_backbone(grass_checkpoint, str(dst))
    state = torch.load(dst, weights_only=True)['state_dict']
    net = torchvision.models.resnet18()
    result = net.load_state_dict(state, strict=False)
    assert sorted(result.missing_keys) == ['fc.bias', 'fc.weight']  # the classifier only
    assert not result.unexpected_keys and count == len(state) == 120
    assert torch.equal(net.layer4[1].conv2.weight, state['layer4.1.conv2.weight'])


def test_weights_sha256_names_the_weights_not_the_file(tmp_path):
    state = {'conv1.weight': torch.randn(2, 3), 'bn1.num_batches_tracked': torch.tensor(3)}
    a, b, c = (str(tmp_path / f'{n}.pth') for n in 'abc')
    torch.save({'state_dict': state}, a)
    torch.save({'state_dict': dict(reversed(list(state.items()))), 'meta': {'x': 1}}, b)
    assert weights_sha256(a) == weights_sha256(b)  # same tensors, another file layout
    changed = dict(state, **{'conv1.weight': state['conv1.weight'].clone()})
    changed["conv1.weight"][0, 0] += 1e-3
    torch.save({'state_dict': changed}, c)
    assert weights_sha256(c) != weights_sha256(a)
