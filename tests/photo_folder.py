"""Make small photo folders for the tests: coloured JPEG pictures in class sub-folders."""

from __future__ import annotations

from pathlib import Path

import torch


def make_photos(root: Path, classes=("cat", "dog"), per_class: int = 6, split: bool = False,
                size=(80, 60), broken: bool = False) -> Path:
    """Write ``per_class`` JPEGs per class (one colour per class plus noise); returns ``root``.

    ``split=True`` writes the ``train/`` + ``valid/`` layout; ``broken=True`` adds a file with a
    .jpg name that is not an image.
    """
    from PIL import Image

    g = torch.Generator().manual_seed(0)
    for k, c in enumerate(classes):
        for i in range(per_class):
            sub = root / (("valid" if i % 3 == 0 else "train") if split else "") / c
            sub.mkdir(parents=True, exist_ok=True)
            base = torch.tensor([200 * (k % 2), 80 * k % 256, 200 * (1 - k % 2)], dtype=torch.float32)
            noise = torch.randint(0, 40, (size[1], size[0], 3), generator=g).float()
            pixels = (base + noise).clamp(0, 255).to(torch.uint8).numpy()
            Image.fromarray(pixels).save(sub / f"{c}_{i}.jpg")
    if broken:
        (root / (("train") if split else "") / classes[0] / "broken.jpg").write_bytes(b"not a jpeg")
    return root
