"""lecnotes: the helper package of *Lesson 4, annotated*.

One module per job. What the chapters use:

* :mod:`lecnotes.data`: where Fashion-MNIST is found, and the book's source and target tasks;
* :mod:`lecnotes.fashion`: Fashion-MNIST's files: finding, downloading (pooch) and checking them;
* :mod:`lecnotes.idx`: the IDX file format the files are stored in;
* :mod:`lecnotes.task`: ``Task``, a classification task (images, labels, classes, transform);
* :mod:`lecnotes.body`: the pretrained bodies, small (512 channels, the default) and big
  (2048 channels, ``pretrained_body("big")``), and torchvision resnet bodies (random or
  ImageNet weights);
* :mod:`lecnotes.pooling`: concat pooling (max and average, side by side);
* :mod:`lecnotes.head`: ``custom_head(n_features, n_classes, xtra_fc, ps)``;
* :mod:`lecnotes.dropout`: dropout from scratch;
* :mod:`lecnotes.precompute`: the content-keyed activation cache;
* :mod:`lecnotes.learner`: ``Learner`` with ``precompute``, ``fit``, ``history``, and the
  device choice ``pick_device``;
* :mod:`lecnotes.sweep`: many heads (settings x seeds) trained at once, for the experiments;
* :mod:`lecnotes.glue`: hands a cell's numbers and figures to the prose (no myst-nb needed);
* :mod:`lecnotes.plots`: the book's figures;
* :mod:`lecnotes.report`: ``spread()``, the one way a result over seeds is written;
  ``difference()``, a comparison against the seed spread and the noise; ``claim()``, a number
  stated with its check; and sweep tables;
* :mod:`lecnotes.repro`: ``setup()`` for seeds and threads, ``isolated_rng`` for private draws.

The full-size appendix and the shipped weights:

* :mod:`lecnotes.photos`: a folder of photos read into a ``Task``;
* :mod:`lecnotes.pets`: Oxford-IIIT Pet downloaded and laid out as cats versus dogs;
* :mod:`lecnotes.pretrain`: ``python -m lecnotes.pretrain``, which made both bodies' weights.

Shared by the modules above:

* :mod:`lecnotes.folders`: the per-user cache folder (``~/.cache/lecnotes/...``);
* :mod:`lecnotes._checks` (private): argument checks, one message per kind of mistake.
"""

from .body import pretrained_body, resnet_body, small_body
from .data import source_task, target_task
from .dropout import Dropout, dropout
from .head import custom_head, default_ps, n_params
from .learner import History, Learner
from .pooling import AdaptiveConcatPool2d, concat_pool
from .report import spread
from .repro import setup
from .sweep import Sweep, sweep

__all__ = [
    "AdaptiveConcatPool2d", "Dropout", "History", "Learner", "concat_pool", "custom_head",
    "default_ps", "dropout", "n_params", "pretrained_body", "resnet_body", "setup",
    "small_body", "source_task", "spread", "sweep", "Sweep", "target_task",
]
__version__ = "0.1.0"
