"""Embedding networks (kind ``backend``): ``seed-cnn``, ``mlp``, ``resnet18``, ``mobilenet_v2``.

Each factory returns a ``torch.nn.Module`` mapping ``(N, C, H, W)`` images (or ``(N, F)`` rows
for the MLP) to ``(N, embedding_dim)`` embeddings, optionally L2-normalised. Layers whose
input size depends on the image size are lazy, so the same network runs on 8×8 digits and
28×28 MNIST; :func:`materialize` runs one dummy batch to fix their shapes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["EmbeddingNet", "seed_cnn", "mlp", "resnet18", "mobilenet_v2", "materialize", "multiply_adds"]


class EmbeddingNet(nn.Module):
    """A trunk followed by optional L2 normalisation of its output."""

    def __init__(self, trunk: nn.Module, normalize: bool = False) -> None:
        super().__init__()
        self.trunk = trunk
        self.normalize = normalize

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed a batch."""
        z = self.trunk(x)
        return nn.functional.normalize(z, dim=1) if self.normalize else z


def seed_cnn(embedding_dim: int = 10, in_channels: int = 1, normalize: bool = False) -> EmbeddingNet:
    """The triplet exercise's network: Conv(8,3,same)–Conv(16,3)–MaxPool(2)–Conv(32,3)–Dense(128)–Dense(dim).

    ReLU follows every layer but the last; the input size is inferred on the first batch.
    """
    trunk = nn.Sequential(
        nn.Conv2d(in_channels, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.LazyLinear(128),
        nn.ReLU(),
        nn.Linear(128, embedding_dim),
    )
    return EmbeddingNet(trunk, normalize)


def mlp(hidden: Sequence[int] = (256,), embedding_dim: int = 64, normalize: bool = False) -> EmbeddingNet:
    """Flatten, ``hidden`` ReLU layers, then a linear embedding; the input size is inferred."""
    layers: list[nn.Module] = [nn.Flatten()]
    for width in hidden:
        layers += [nn.LazyLinear(width), nn.ReLU()]
    layers.append(nn.LazyLinear(embedding_dim))
    return EmbeddingNet(nn.Sequential(*layers), normalize)


def resnet18(embedding_dim: int = 128, in_channels: int = 1, normalize: bool = False) -> EmbeddingNet:
    """torchvision's ResNet-18 from scratch (``weights=None``), first conv adapted to ``in_channels``."""
    from torchvision import models

    net = models.resnet18(weights=None, num_classes=embedding_dim)
    net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return EmbeddingNet(net, normalize)


def mobilenet_v2(embedding_dim: int = 128, in_channels: int = 1, normalize: bool = False) -> EmbeddingNet:
    """torchvision's MobileNetV2 from scratch (``weights=None``), first conv adapted to ``in_channels``."""
    from torchvision import models

    net = models.mobilenet_v2(weights=None, num_classes=embedding_dim)
    first = net.features[0][0]
    net.features[0][0] = nn.Conv2d(
        in_channels, first.out_channels, first.kernel_size, first.stride, first.padding, bias=False
    )
    return EmbeddingNet(net, normalize)


def materialize(
    model: nn.Module, input_shape: Sequence[int], device: torch.device | str = "cpu"
) -> nn.Module:
    """Run one dummy batch of shape ``(2, *input_shape)`` so lazy layers get their sizes.

    Returns the model, moved to ``device``; call it before building an optimizer.
    """
    model = model.to(device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros((2, *input_shape), device=device))
    model.train(was_training)
    return model


def multiply_adds(model: nn.Module, sample: torch.Tensor) -> int:
    """Multiply-adds of one forward pass over ``sample``, counted in its linear and convolution layers.

    Other layers (activations, pooling, normalisation) are left out: they cost a few
    operations per value beside a product's hundreds. Runs the model once, in eval mode and
    without gradients, which also materialises lazy layers. The thread policy
    (:func:`embedlab.threads.num_threads`) sizes a training step with it.

    Parameters
    ----------
    model
        The network.
    sample
        A batch of inputs, usually one item (``X[:1]``).

    Returns
    -------
    int
        The multiply-adds for the whole ``sample``.
    """
    total = 0

    def count(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Linear):
            total += output.numel() * module.in_features
        elif isinstance(module, nn.modules.conv._ConvTransposeNd):
            total += inputs[0].numel() * module.weight[0].numel()
        elif isinstance(module, nn.modules.conv._ConvNd):
            total += output.numel() * module.weight[0].numel()

    handles = [m.register_forward_hook(count) for m in model.modules()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(sample)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total
