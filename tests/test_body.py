"""The body: the shipped pretrained weights (checked by sha256), small bodies and resnet bodies.

The two shipped bodies, small (512 channels, float32 on disk) and big (2048 channels, float16 on
disk), go through the same tests where the same promise holds (``SHIPPED``).

torchvision is imported or patched by name inside the tests that use it: its import loads torch's
compiler (2-3 s), which every pytest worker would otherwise pay while collecting.
"""

import json
import urllib.error

import pytest
import torch
from torch import nn

import lecnotes.body
from lecnotes.body import (
    BIG_RECIPE,
    BIG_WEIGHTS,
    BODIES,
    IMAGENET_WEIGHTS,
    RECIPE,
    WEIGHTS,
    freeze,
    load_checkpoint,
    pretrained_body,
    recipe,
    resnet_body,
    sha256,
    shipped,
    small_body,
)
from lecnotes.pooling import concat_pool

SHIPPED = {"small": (512, "float32"), "big": (2048, "float16")}
"""Each shipped body's last channels and the dtype its file stores."""


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


@pytest.mark.parametrize("name", BODIES)
def test_pretrained_body_with_a_recipe_naming_another_hash_is_refused(tmp_path, name):
    weights, recipe_path = shipped(name)
    info = recipe(recipe_path)
    info["sha256"] = "f" * 64
    fake = tmp_path / "recipe.json"
    fake.write_text(json.dumps(info))
    with pytest.raises(ValueError, match="refusing"):
        pretrained_body(weights, recipe_path=fake)


def test_pretrained_body_with_other_weights_is_refused(tmp_path, checkpoint):
    _, path = checkpoint
    with pytest.raises(ValueError, match="refusing"):
        pretrained_body(weights=path, recipe_path=RECIPE)  # the shipped recipe names another sha256


@pytest.mark.parametrize("name", BODIES)
def test_a_tampered_copy_of_a_shipped_body_is_refused_by_its_sha256(tmp_path, name):
    weights, recipe_path = shipped(name)
    copy = tmp_path / weights.name
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit, inside the tensors' bytes
    copy.write_bytes(bytes(data))
    (tmp_path / recipe_path.name).write_text(recipe_path.read_text())
    with pytest.raises(ValueError, match="refusing") as err:
        pretrained_body(copy)
    assert str(copy) in str(err.value) and recipe(recipe_path)["sha256"] in str(err.value)


def test_shipped_names_the_two_bodies_files():
    assert shipped("small") == (WEIGHTS, RECIPE)
    assert shipped("big") == (BIG_WEIGHTS, BIG_RECIPE)
    assert BIG_WEIGHTS.parent == WEIGHTS.parent and BIG_RECIPE == BIG_WEIGHTS.with_suffix(".json")


@pytest.fixture(scope="module", params=BODIES)
def named_body(request):
    return request.param, pretrained_body(request.param)


@pytest.fixture(scope="module")
def body():
    return pretrained_body()


@pytest.mark.parametrize("name", BODIES)
def test_shipped_weights_match_their_recipe(name):
    weights, recipe_path = shipped(name)
    info = recipe(recipe_path)
    assert sha256(weights) == info["sha256"]
    for k in ("seed", "epochs", "lr", "bs", "channels", "source_valid_accuracy", "train_seconds"):
        assert k in info
    assert info["channels"][-1] == SHIPPED[name][0]
    assert info.get("dtype", "float32") == SHIPPED[name][1]  # the small recipe predates the key
    stored = torch.load(weights, weights_only=True)
    assert {str(v.dtype) for v in stored.values() if v.is_floating_point()} == {f"torch.{SHIPPED[name][1]}"}
    assert weights.stat().st_size < 5 * 2**20  # a few MB at most


def test_the_small_body_is_the_default():
    assert recipe() == recipe(RECIPE)
    default, by_name, by_file = pretrained_body(), pretrained_body("small"), pretrained_body(WEIGHTS)
    assert default[-1][0].out_channels == 512
    for k, v in default.state_dict().items():
        assert torch.equal(by_name.state_dict()[k], v) and torch.equal(by_file.state_dict()[k], v), k


def test_pretrained_body_loads_the_shipped_weights(named_body):
    name, body = named_body
    stored = torch.load(shipped(name)[0], weights_only=True)
    state = body.state_dict()
    assert state.keys() == stored.keys()
    for k, v in stored.items():
        assert torch.equal(state[k], v.float() if v.is_floating_point() else v), k
    torch.manual_seed(0)
    random_body = small_body(tuple(recipe(shipped(name)[1])["channels"]))
    assert not torch.equal(random_body.state_dict()["0.0.weight"], state["0.0.weight"])


def test_a_shipped_body_has_float32_parameters_and_buffers_after_loading(named_body):
    _, body = named_body
    assert {p.dtype for p in body.parameters()} == {torch.float32}
    for k, v in body.state_dict().items():
        assert v.dtype == (torch.int64 if k.endswith("num_batches_tracked") else torch.float32), k
    with torch.no_grad():
        assert body(torch.zeros(1, 1, 28, 28)).dtype == torch.float32


def test_pretrained_body_is_frozen_and_in_eval_mode(named_body):
    _, body = named_body
    assert all(not p.requires_grad for p in body.parameters())
    assert all(not m.training for m in body.modules())


def test_pretrained_body_output_shape(body):
    with torch.no_grad():
        out = body(torch.zeros(3, 1, 28, 28))
    assert out.shape == (3, 512, 3, 3)
    assert (out >= 0).all()  # ends with ReLU


def test_the_big_body_has_its_recipes_channels_and_gives_4096_pooled_features():
    body = pretrained_body("big")
    convs = [m for m in body.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == recipe(BIG_RECIPE)["channels"] == [32, 64, 128, 2048]
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = body(x)
        features = concat_pool()(out)
    assert out.shape == (3, 2048, 3, 3)
    assert features.shape == (3, 4096)
    assert features.std() > 0


def test_the_big_body_by_name_is_the_big_body_by_file():
    by_name, by_file = pretrained_body("big"), pretrained_body(BIG_WEIGHTS)
    assert by_name.state_dict().keys() == by_file.state_dict().keys()
    for k, v in by_name.state_dict().items():
        assert torch.equal(by_file.state_dict()[k], v), k


@pytest.mark.parametrize("name", ["large", "Big", "resnet50", "small_body"])
def test_a_wrong_body_name_says_what_was_given_and_what_is_allowed(name):
    with pytest.raises(ValueError) as err:
        pretrained_body(name)
    assert repr(name) in str(err.value) and "'small', 'big'" in str(err.value)


def test_pretrained_body_is_deterministic_in_eval_mode(named_body):
    _, body = named_body
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


@pytest.mark.parametrize("name, weights_attr, recipe_attr",
                         [("small", "WEIGHTS", "RECIPE"), ("big", "BIG_WEIGHTS", "BIG_RECIPE")])
def test_the_default_weights_file_is_looked_up_when_called(tmp_path, checkpoint, monkeypatch, name,
                                                           weights_attr, recipe_attr):
    body, path = checkpoint
    recipe_path = path.with_suffix(".json")
    recipe_path.write_text(json.dumps({"sha256": sha256(path), "channels": [4, 8]}))
    monkeypatch.setattr(lecnotes.body, weights_attr, path)
    monkeypatch.setattr(lecnotes.body, recipe_attr, recipe_path)
    loaded = pretrained_body() if name == "small" else pretrained_body(name)
    assert torch.equal(loaded.state_dict()["0.0.weight"], body.state_dict()["0.0.weight"])


# ---- lecnotes.pretrain's save, float16 included (no training here) ----

@pytest.fixture
def trained(tmp_path):
    """A tiny body whose BatchNorm statistics have moved, as after training."""
    torch.manual_seed(0)
    body = small_body((4, 8))
    body.train()
    with torch.no_grad():
        for _ in range(3):
            body(torch.randn(8, 1, 28, 28))
    return body.eval()


def test_a_float16_save_round_trips_to_a_float32_body(tmp_path, trained):
    from lecnotes.pretrain import save

    before = {k: v.clone() for k, v in trained.state_dict().items()}
    info = save(trained, {"channels": [4, 8], "seed": 0}, tmp_path / "b.pt", tmp_path / "b.json",
                dtype="float16")
    assert info["dtype"] == "float16" and recipe(tmp_path / "b.json") == info
    stored = torch.load(tmp_path / "b.pt", weights_only=True)
    for k in before:
        assert stored[k].dtype == (torch.int64 if k.endswith("num_batches_tracked") else torch.float16), k
    loaded = pretrained_body(tmp_path / "b.pt")
    for k, v in before.items():
        expected = v.half().float() if v.is_floating_point() else v
        assert loaded.state_dict()[k].dtype == v.dtype, k
        assert torch.equal(loaded.state_dict()[k], expected), k
    assert int(loaded.state_dict()["0.1.num_batches_tracked"]) == 3
    assert not torch.equal(before["1.1.running_mean"], torch.zeros(8))  # the statistics did move
    for k, v in trained.state_dict().items():  # saving rounds the file, not the body
        assert torch.equal(v, before[k]), k


def test_a_float32_save_stores_the_state_dict_exactly(tmp_path, trained):
    from lecnotes.pretrain import save

    info = save(trained, {"channels": [4, 8]}, tmp_path / "b.pt", tmp_path / "b.json")
    assert info["dtype"] == "float32"
    (tmp_path / "plain").mkdir()
    torch.save(trained.state_dict(), tmp_path / "plain" / "b.pt")  # same name: torch writes it inside
    assert (tmp_path / "b.pt").read_bytes() == (tmp_path / "plain" / "b.pt").read_bytes()


def test_save_with_an_unknown_dtype_names_it(tmp_path, trained):
    from lecnotes.pretrain import save

    with pytest.raises(ValueError, match=r"dtype must be one of 'float32', 'float16'; got 'bfloat16'"):
        save(trained, {}, tmp_path / "b.pt", tmp_path / "b.json", dtype="bfloat16")
    assert not (tmp_path / "b.pt").exists()


def test_pretraining_the_big_body_trains_2048_channels_and_stores_float16_where_it_ships(
        tmp_path, monkeypatch):
    import lecnotes.pretrain

    asked = []

    def train_body(epochs, seed, channels, log):  # stands in for a few minutes of training
        asked.append(channels)
        return small_body((4, 8)).eval(), {"channels": list(channels), "epochs": epochs, "seed": seed}

    monkeypatch.setattr(lecnotes.pretrain, "train_body", train_body)
    monkeypatch.setattr(lecnotes.body, "BIG_WEIGHTS", tmp_path / "big_body.pt")
    monkeypatch.setattr(lecnotes.body, "BIG_RECIPE", tmp_path / "big_body.json")
    info = lecnotes.pretrain.pretrain("big", log=False)
    assert asked == [(32, 64, 128, 2048)]
    assert info["dtype"] == "float16" and info["sha256"] == sha256(tmp_path / "big_body.pt")
    assert torch.load(tmp_path / "big_body.pt", weights_only=True)["0.0.weight"].dtype == torch.float16


# ---- issue 23: a weights name torchvision does not know, a recipe whose channels do not fit ----

def test_resnet_body_names_weights_torchvision_does_not_know():
    with pytest.raises(ValueError, match=r"weights must be None .* 'IMAGENET1K_V1'; got 'BOGUS'"):
        resnet_body("resnet18", weights="BOGUS")


def test_a_recipe_whose_channels_do_not_fit_the_weights_is_an_error_naming_both(tmp_path, checkpoint):
    _, path = checkpoint
    path.with_suffix(".json").write_text(json.dumps({"sha256": sha256(path), "channels": [4, 16]}))
    with pytest.raises(ValueError, match=r"the weights .*body.pt do not fit the channels \[4, 16\] "
                                         r"that the recipe .*body.json gives"):
        pretrained_body(weights=path)
