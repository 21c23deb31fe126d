import subprocess
import sys

import embedlab


def test_components_are_registered_by_embedlab():
    names = {(p.kind, p.name): p.distribution for p in embedlab.plugins()}
    for key in [
        ("loss", "triplet"),
        ("loss", "contrastive"),
        ("loss", "multi-similarity"),
        ("loss", "supcon"),
        ("miner", "random"),
        ("miner", "batch-all"),
        ("miner", "batch-hard"),
        ("miner", "semihard"),
        ("miner", "distance-weighted"),
        ("backend", "seed-cnn"),
        ("backend", "mlp"),
        ("backend", "resnet18"),
        ("backend", "mobilenet_v2"),
    ]:
        assert names[key] == "embedlab"


def test_design_contract_names():
    import torch

    miner = embedlab.create("miner", "semihard", margin=0.4, distance="euclidean")
    e, y = torch.randn(32, 4), torch.arange(32) % 4
    a, p, n = miner(e, y)
    loss = embedlab.create("loss", "triplet", margin=0.4, distance="squared-euclidean")
    assert loss(e, y, indices=(a, p, n)).ndim == 0
    assert loss(e, y, indices=None).ndim == 0


def test_listing_plugins_and_importing_the_plugin_module_do_not_import_torch():
    code = (
        "import sys, embedlab, embedlab.learn.plugin, embedlab.learn.params; embedlab.plugins();"
        "import embedlab.learn; assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_each_builtin_params_model_is_named_once_in_the_table():
    import importlib
    import typing

    from embedlab.learn.plugin import BUILTINS

    for row in BUILTINS:
        info = embedlab.registry.get(row.kind, row.name)
        assert (info.factory, info.params, info.summary) == (row.factory, row.params, row.summary)
        module, _, attr = row.factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
        if isinstance(factory, type):  # a loss or miner class takes its name and model from its row
            assert (factory.name, factory.params_model) == (row.name, row.params)
            assert typing.get_type_hints(factory)["params"] is row.params  # the static type agrees
            assert type(factory().params) is row.params


def test_summaries_say_what_a_component_is():
    from embedlab.learn.plugin import BUILTINS

    for row in BUILTINS:
        assert "seed" not in row.summary, row
    assert "Conv8-Conv16-Pool-Conv32" in embedlab.registry.get("backend", "seed-cnn").summary


def test_a_subclass_outside_the_table_keeps_what_it_inherits_or_sets():
    from embedlab.learn.losses import TripletLoss
    from embedlab.learn.params import TripletLossParams
    from embedlab.params import Params

    class Louder(TripletLoss):
        pass

    class Own(TripletLoss):
        name = "own"
        params_model = Params

    assert (Louder.name, Louder.params_model) == ("triplet", TripletLossParams)
    assert (Own.name, Own.params_model, Own().params.as_kwargs()) == ("own", Params, {})
