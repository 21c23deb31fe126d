"""``small-cnn-classifier``: a small convolutional classifier for images of any size and channel count.

A few blocks of 3x3 convolution, batch norm, ReLU and 2x2 max-pooling, then global average
pooling and a dense head. Global pooling makes the head independent of the image size, so the
same network runs on 8x8x1 digits and 28x28x3 DermaMNIST. Its params model is
:class:`~embedlab.learn.classifier.SmallCNNClassifierParams`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from embedlab.errors import InputError

__all__ = ["SmallCNNClassifier", "small_cnn_classifier"]


class SmallCNNClassifier(nn.Module):
    """Conv blocks, global average pooling and a dense head, mapping images to logits.

    Parameters
    ----------
    num_classes
        Number of output logits.
    in_channels
        Channels of the input; ``None`` infers them from the first batch.
    channels
        Output channels of each block (3x3 convolution, batch norm, ReLU, 2x2 max-pool).
    units
        Width of the head's hidden layer.
    dropout
        Dropout before the output layer.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int | None = None,
        channels: Sequence[int] = (32, 64),
        units: int = 128,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        previous = in_channels
        for width in channels:
            conv = (
                nn.LazyConv2d(width, 3, padding=1)
                if previous is None
                else nn.Conv2d(previous, width, 3, padding=1)
            )
            # ceil_mode: a 1x1 map stays 1x1, so any number of blocks fits small images
            blocks += [conv, nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            previous = width
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels[-1], units),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(units, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, num_classes)`` of images ``(N, C, H, W)``, or ``(N, H, W)`` with one channel.

        Raises
        ------
        InputError
            For input that is not a batch of images (flattened rows, say).
        """
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4:
            raise InputError(
                f"small-cnn-classifier needs images (N, C, H, W) or (N, H, W); got shape {tuple(x.shape)}: "
                "load the dataset as images (flatten: false) or use mlp-classifier"
            )
        out: torch.Tensor = self.head(self.features(x))
        return out


def small_cnn_classifier(
    num_classes: int = 10,
    in_channels: int | None = None,
    channels: Sequence[int] = (32, 64),
    units: int = 128,
    dropout: float = 0.2,
) -> SmallCNNClassifier:
    """Build ``small-cnn-classifier`` (see :class:`SmallCNNClassifier` for the parameters)."""
    return SmallCNNClassifier(num_classes, in_channels, tuple(channels), units, dropout)
