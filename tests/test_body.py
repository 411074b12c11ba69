"""The body: the shipped pretrained weights (checked by sha256), small bodies and resnet bodies.

torchvision is imported or patched by name inside the tests that use it: its import loads torch's
compiler (2-3 s), which every pytest worker would otherwise pay while collecting.
"""

import json
import urllib.error

import pytest
import torch
from torch import nn

from lecnotes.body import (
    IMAGENET_WEIGHTS,
    RECIPE,
    WEIGHTS,
    freeze,
    load_checkpoint,
    pretrained_body,
    recipe,
    resnet_body,
    sha256,
    small_body,
)


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    body = small_body((4, 8))
    path = tmp_path / "body.pt"
    torch.save(body.state_dict(), path)
    return body, path


def test_checkpoint_with_matching_sha256_loads(checkpoint):
    body, path = checkpoint
    state = load_checkpoint(path, sha256(path))
    assert state.keys() == body.state_dict().keys()
    for k, v in body.state_dict().items():
        assert torch.equal(state[k], v), k


def test_checkpoint_with_wrong_sha256_is_refused(checkpoint):
    _, path = checkpoint
    actual = sha256(path)
    wrong = "0" * 64
    with pytest.raises(ValueError, match="refusing") as err:
        load_checkpoint(path, wrong)
    assert actual in str(err.value) and wrong in str(err.value)


def test_modified_checkpoint_is_refused(checkpoint):
    _, path = checkpoint
    expected = sha256(path)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01  # one flipped bit
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="sha256"):
        load_checkpoint(path, expected)


def test_sha256_matches_hashlib(tmp_path):
    import hashlib

    path = tmp_path / "f"
    data = bytes(range(256)) * 5000  # more than one 1 MiB chunk
    path.write_bytes(data)
    assert sha256(path) == hashlib.sha256(data).hexdigest()


def test_pretrained_body_with_a_recipe_naming_another_hash_is_refused(tmp_path):
    info = recipe()
    info["sha256"] = "f" * 64
    fake = tmp_path / "recipe.json"
    fake.write_text(json.dumps(info))
    with pytest.raises(ValueError, match="refusing"):
        pretrained_body(recipe_path=fake)


def test_pretrained_body_with_other_weights_is_refused(tmp_path, checkpoint):
    _, path = checkpoint
    with pytest.raises(ValueError, match="refusing"):
        pretrained_body(weights=path, recipe_path=RECIPE)  # the shipped recipe names another sha256


@pytest.fixture(scope="module")
def body():
    return pretrained_body()


def test_shipped_weights_match_their_recipe():
    info = recipe()
    assert sha256(WEIGHTS) == info["sha256"]
    assert RECIPE.is_file()
    for k in ("seed", "epochs", "channels", "source_valid_accuracy"):
        assert k in info
    assert WEIGHTS.stat().st_size < 5 * 2**20  # a few MB at most


def test_pretrained_body_loads_the_shipped_weights(body):
    stored = torch.load(WEIGHTS, weights_only=True)
    state = body.state_dict()
    assert state.keys() == stored.keys()
    for k, v in stored.items():
        assert torch.equal(state[k], v), k
    torch.manual_seed(0)
    random_body = small_body()
    assert not torch.equal(random_body.state_dict()["0.0.weight"], state["0.0.weight"])


def test_pretrained_body_is_frozen_and_in_eval_mode(body):
    assert all(not p.requires_grad for p in body.parameters())
    assert all(not m.training for m in body.modules())


def test_pretrained_body_output_shape(body):
    with torch.no_grad():
        out = body(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 512, 3, 3)
    assert (out >= 0).all()  # ends with ReLU


def test_pretrained_body_is_deterministic_in_eval_mode(body):
    x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = body(x), body(x[:2])
    torch.testing.assert_close(a[:2], b)  # eval mode: no batch statistics


def test_small_body_default_shape_and_structure():
    body = small_body()
    assert len(body) == 4
    assert body(torch.zeros(2, 1, 28, 28)).shape == (2, 512, 3, 3)
    convs = [m for m in body.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(1, 32), (32, 64), (64, 128), (128, 512)]
    assert all(c.bias is None for c in convs)
    pools = [i for i, block in enumerate(body) if any(isinstance(m, nn.MaxPool2d) for m in block)]
    assert pools == [0, 1, 2]  # the last block does not pool
    assert [type(m) for m in body[0]] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d]
    assert [type(m) for m in body[3]] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]


@pytest.mark.parametrize("channels, hw",
                         [((8,), 28), ((8, 16), 14), ((4, 8, 16), 7), ((4, 8, 16, 32, 64), 1)])
def test_small_body_shapes(channels, hw):
    body = small_body(channels).eval()
    assert body(torch.zeros(2, 1, 28, 28)).shape == (2, channels[-1], hw, hw)


def test_freeze():
    body = small_body((4,)).train()
    assert freeze(body) is body
    assert not body.training and all(not p.requires_grad for p in body.parameters())


def test_resnet18_body_shape_and_cut():
    torch.manual_seed(0)
    body = resnet_body("resnet18", weights=None).eval()
    with torch.no_grad():
        assert body(torch.zeros(1, 3, 64, 64)).shape == (1, 512, 2, 2)
        assert body(torch.zeros(2, 3, 96, 96)).shape == (2, 512, 3, 3)
    kinds = [type(m).__name__ for m in body]
    assert kinds[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert "AdaptiveAvgPool2d" not in kinds and "Linear" not in kinds
    assert len(body) == 8


@pytest.mark.parametrize("arch", ["vgg16", "resnet", "resnet18 ", "ResNet18", "", "densenet121"])
def test_bad_arch(arch):
    with pytest.raises(ValueError, match="arch must be one of"):
        resnet_body(arch)


def test_resnet_body_without_pretrained_weights_has_512_channels():
    body = resnet_body("resnet18", pretrained=False)
    assert body(torch.zeros(1, 3, 64, 64)).shape == (1, 512, 2, 2)


def _downloads(monkeypatch, answer):
    """Route torchvision's weight downloads (its own reference and torch.hub's) to ``answer``."""
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", answer)
    monkeypatch.setattr("torchvision.models._api.load_state_dict_from_url", answer)


def test_resnet_body_offline_names_file_and_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    _downloads(monkeypatch, offline)
    with pytest.raises(RuntimeError) as err:
        resnet_body("resnet34", pretrained=True)
    msg = str(err.value)
    assert "resnet34-" in msg and ".pth" in msg and str(tmp_path) in msg


def test_pretrained_resnet_body_loads_the_imagenet_weights(monkeypatch):
    import torchvision  # here, not at the top: see the module's docstring

    torch.manual_seed(0)
    published = torchvision.models.resnet18().state_dict()
    asked = []

    def download(url, *args, **kwargs):
        asked.append(url)
        return published

    _downloads(monkeypatch, download)
    body = resnet_body("resnet18", pretrained=True)
    expected = torchvision.models.ResNet18_Weights[IMAGENET_WEIGHTS].url
    assert asked == [expected]
    assert torch.equal(body[0].weight, published["conv1.weight"])


def test_resnet_body_refuses_weights_and_pretrained_together():
    with pytest.raises(ValueError, match=r"not both: got weights='IMAGENET1K_V2' and pretrained=True"):
        resnet_body("resnet18", weights="IMAGENET1K_V2", pretrained=True)


# ---- the recipe JSON and other weights files ----

def test_a_recipe_without_sha256_is_an_error_naming_the_file_and_the_key(tmp_path):
    info = recipe()
    del info["sha256"]
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(info))
    with pytest.raises(ValueError) as err:
        pretrained_body(recipe_path=path)
    assert str(path) in str(err.value) and "'sha256'" in str(err.value)


@pytest.mark.parametrize("content", ["", '{"sha256": "ab', "[1, 2]", '{"sha256": 5, "channels": [4]}',
                                     '{"sha256": "%s", "channels": "big"}' % ("0" * 64)])
def test_a_truncated_or_malformed_recipe_is_an_error_naming_the_file(tmp_path, content):
    path = tmp_path / "recipe.json"
    path.write_text(content)
    with pytest.raises(ValueError) as err:
        pretrained_body(recipe_path=path)
    assert str(path) in str(err.value)
    assert "lecnotes.pretrain" in str(err.value)  # says how to get a good one


def test_a_missing_recipe_is_an_error_naming_it(tmp_path, checkpoint):
    _, path = checkpoint
    with pytest.raises(FileNotFoundError) as err:
        pretrained_body(weights=path)  # no body.json beside it
    assert str(path.with_suffix(".json")) in str(err.value) and "recipe_path" in str(err.value)


def test_other_weights_load_with_the_recipe_beside_them(tmp_path, checkpoint):
    body, path = checkpoint
    path.with_suffix(".json").write_text(json.dumps({"sha256": sha256(path), "channels": [4, 8]}))
    loaded = pretrained_body(weights=path)
    for k, v in body.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    assert all(not p.requires_grad for p in loaded.parameters())


def test_the_default_weights_file_is_looked_up_when_called(tmp_path, checkpoint, monkeypatch):
    import lecnotes.body

    body, path = checkpoint
    recipe_path = path.with_suffix(".json")
    recipe_path.write_text(json.dumps({"sha256": sha256(path), "channels": [4, 8]}))
    monkeypatch.setattr(lecnotes.body, "WEIGHTS", path)
    monkeypatch.setattr(lecnotes.body, "RECIPE", recipe_path)
    loaded = pretrained_body()
    assert torch.equal(loaded.state_dict()["0.0.weight"], body.state_dict()["0.0.weight"])
