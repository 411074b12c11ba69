"""lecnotes.pets: Oxford-IIIT Pet laid out as cats versus dogs, on a stand-in for torchvision's download.

torchvision is patched by name, so it loads only when these tests run: its import loads torch's
compiler (2-3 s), which every pytest worker would otherwise pay while collecting.
"""

from pathlib import Path

import pytest

from lecnotes.pets import oxford_pets_folder


class FakePets:
    """Plays torchvision's OxfordIIITPet: writes three photos per split and lists them as it does."""

    calls: list[str] = []

    def __init__(self, root, split, target_types, download):
        assert target_types == "binary-category" and download
        FakePets.calls.append(split)
        folder = Path(root) / "oxford-iiit-pet" / "images"
        folder.mkdir(parents=True, exist_ok=True)
        self._images = [folder / f"{split}_{i}.jpg" for i in range(3)]
        for path in self._images:
            path.write_bytes(b"a photo")
        self._bin_labels = [0, 1, 1]  # torchvision: 0 = cat, 1 = dog


def test_pets_are_linked_as_train_and_valid_cats_and_dogs(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.datasets.OxfordIIITPet", FakePets)
    FakePets.calls = []
    out = oxford_pets_folder(tmp_path)
    assert out == tmp_path / "pets-catsdogs" and FakePets.calls == ["trainval", "test"]
    assert sorted(p.name for p in (out / "train" / "cat").iterdir()) == ["trainval_0.jpg"]
    assert sorted(p.name for p in (out / "valid" / "dog").iterdir()) == ["test_1.jpg", "test_2.jpg"]
    link = out / "train" / "dog" / "trainval_2.jpg"
    assert link.is_symlink() and link.read_bytes() == b"a photo"
    assert oxford_pets_folder(tmp_path) == out  # a second call reuses the links already there


def test_a_failed_download_names_the_folder_and_the_way_out(tmp_path, monkeypatch):
    def offline(root, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr("torchvision.datasets.OxfordIIITPet", offline)
    with pytest.raises(RuntimeError) as err:
        oxford_pets_folder(tmp_path)
    assert str(tmp_path) in str(err.value) and "root/<class>/<image>" in str(err.value)


@pytest.mark.parametrize("root", [None, 123, ""])
def test_a_root_that_is_not_a_folder_name_is_named_before_any_download(root):
    with pytest.raises(TypeError, match="root"):
        oxford_pets_folder(root)
