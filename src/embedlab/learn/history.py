"""The one history schema of every trainer: what each epoch's record holds, by name.

:meth:`embedlab.learn.trainer.Trainer.fit` (metric learning) and
:func:`embedlab.learn.classifier.train_classifier` both return a list of
:class:`EpochRecord`, the tasks report these records to tuners unchanged, and
:func:`embedlab.plots.embeddings.plot_history` draws them. Light: no torch.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = ["COMMON_KEYS", "CLASSIFIER_KEYS", "METRIC_LEARNING_KEYS", "EpochRecord"]


class EpochRecord(TypedDict, total=False):
    """One epoch of training. Every trainer writes ``epoch``, ``train_loss`` and ``epoch_time_s``.

    Attributes
    ----------
    epoch
        The epoch, from 1.
    train_loss
        Mean training loss over the epoch's batches.
    val_loss
        Loss on the validation split (with validation data).
    epoch_time_s
        Wall-clock seconds of the epoch, validation included.
    val_precision_at_1
        Metric learning: precision@1 of validation queries against the training embeddings.
    triplets
        Metric learning: mean tuples mined per batch; -1 when no miner ran that epoch.
    steps
        Metric learning: optimiser steps (batches) in the epoch.
    zero_loss_share
        Metric learning: the share of the epoch's scored triplets whose loss was already zero
        (``d(a,p) − d(a,n) + margin ≤ 0``), so they taught nothing; with losses that count them
        (``triplet``).
    train_accuracy, val_accuracy
        Classification: accuracy on the training batches (as trained) and on the validation split.
    """

    epoch: int
    train_loss: float
    val_loss: float
    epoch_time_s: float
    val_precision_at_1: float
    triplets: float
    steps: int
    zero_loss_share: float
    train_accuracy: float
    val_accuracy: float


#: Keys every trainer's record has the meaning of (``val_loss`` only with validation data).
COMMON_KEYS = ("epoch", "train_loss", "val_loss", "epoch_time_s")
#: Keys of a :class:`~embedlab.learn.trainer.Trainer` record.
METRIC_LEARNING_KEYS = (*COMMON_KEYS, "val_precision_at_1", "triplets", "steps", "zero_loss_share")
#: Keys of a :func:`~embedlab.learn.classifier.train_classifier` record.
CLASSIFIER_KEYS = (*COMMON_KEYS, "train_accuracy", "val_accuracy")
