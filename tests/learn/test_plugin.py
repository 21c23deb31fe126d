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
