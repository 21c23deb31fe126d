"""Cheaper ReLUs while training: the same values and gradients, less memory traffic.

While an ``nn.Sequential`` that runs its layers in order (``Sequential.forward``) runs:

- a ReLU directly followed by max-pooling or flattening runs after them. ReLU is monotone, so
  ``maxpool(relu(x)) == relu(maxpool(x))``, and flattening only moves elements; after a 2×2
  pool the ReLU and its backward touch a quarter of the elements, and after flattening a
  channels-last map they touch contiguous ones. The gradients are equal too: the pool picks
  the same element of each window, and a window whose maximum is not positive gets a zero
  gradient either way.
- a ReLU whose input comes from a layer whose backward does not need its output works in
  place: nothing else in the Sequential reads that output.

Layers with hooks, and every layer while global module hooks are set, are left as they are
(a hook could keep an output or expect the order); everything is undone on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn
from torch.nn.modules import module as torch_module

#: Layers whose backward needs their input but not their output, so a ReLU fed by one may
#: overwrite that output.
OUTPUT_NOT_SAVED = (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.MaxPool2d)
#: Layers a ReLU commutes with: max-pooling (ReLU is monotone) and flattening.
COMMUTE_WITH_RELU = (
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
    nn.Flatten,
)  # fmt: skip


def _hooked(layer: nn.Module) -> bool:
    return bool(
        layer._forward_hooks or layer._forward_pre_hooks or layer._backward_hooks or layer._backward_pre_hooks
    )


def _plain_relu(layer: nn.Module) -> bool:
    return type(layer) is nn.ReLU and not layer.inplace and not _hooked(layer)


def _crossable(layer: nn.Module) -> bool:
    return (
        isinstance(layer, COMMUTE_WITH_RELU) and not getattr(layer, "return_indices", False) and not _hooked(layer)
    )


def relu_plan(seq: nn.Sequential) -> tuple[list[nn.Module], list[nn.ReLU]]:
    """The order to run ``seq``'s layers in, and the ReLUs to run in place.

    Returns
    -------
    order
        ``seq``'s layers, each plain ReLU moved past the max-pool and flatten layers right
        after it.
    in_place
        The ReLUs each of whose uses gets its input from a layer that keeps no output
        (looking through flattening, which returns its input's elements), with no hooks.
    """
    order = list(seq)  # with repeats (children() lists a module used twice once)
    for position in range(len(order) - 1):
        if _plain_relu(order[position]) and _crossable(order[position + 1]):
            order[position], order[position + 1] = order[position + 1], order[position]
    safe: dict[int, bool] = {}
    for position, layer in enumerate(order):
        if _plain_relu(layer):
            source = next((s for s in reversed(order[:position]) if not isinstance(s, nn.Flatten)), None)
            ok = isinstance(source, OUTPUT_NOT_SAVED) and not _hooked(source)
            safe[id(layer)] = safe.get(id(layer), True) and ok
    return order, [
        layer for layer in dict.fromkeys(order) if isinstance(layer, nn.ReLU) and safe.get(id(layer), False)
    ]


@contextmanager
def cheaper_relus(model: nn.Module) -> Iterator[int]:
    """Run the ReLUs of ``model``'s Sequentials after the layers they commute with, and in place where safe.

    Both take effect only while the Sequential's own forward runs: a parent that calls its
    layers one by one sees them as they are.

    Yields
    ------
    int
        How many Sequentials were changed.
    """
    global_hooks = [
        getattr(torch_module, f"_global_{kind}_hooks", None)
        for kind in ("forward", "forward_pre", "backward", "backward_pre")
    ]
    changed = []
    if not any(global_hooks):
        for seq in model.modules():
            if not isinstance(seq, nn.Sequential) or type(seq).forward is not nn.Sequential.forward:
                continue  # a subclass with its own forward may read any layer's output
            order, in_place = relu_plan(seq)
            if order != list(seq) or in_place:
                changed.append((seq, order, in_place))
    handles = []
    for seq, order, in_place in changed:
        keys, layers = list(seq._modules), list(seq._modules.values())

        def start(module: nn.Module, args: object, keys: list[str] = keys, order: list[nn.Module] = order,
                  in_place: list[nn.ReLU] = in_place) -> None:  # fmt: skip
            module._modules.update(zip(keys, order, strict=True))
            for relu in in_place:
                relu.inplace = True

        def finish(module: nn.Module, args: object, out: object, keys: list[str] = keys,
                   layers: list[nn.Module] = layers, in_place: list[nn.ReLU] = in_place) -> None:  # fmt: skip
            module._modules.update(zip(keys, layers, strict=True))
            for relu in in_place:
                relu.inplace = False

        handles.append(seq.register_forward_pre_hook(start))
        handles.append(seq.register_forward_hook(finish, always_call=True))
    try:
        yield len(changed)
    finally:
        for handle in handles:
            handle.remove()
