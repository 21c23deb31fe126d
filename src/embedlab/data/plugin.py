"""embedlab's built-in datasets, registered through the ``embedlab`` entry point."""

from __future__ import annotations

from embedlab.data.digits import DigitsParams
from embedlab.registry import Register, hookimpl


@hookimpl
def embedlab_register_datasets(register: Register) -> None:
    """Register the built-in datasets."""
    register(
        "digits",
        "embedlab.data.digits:load_digits",
        params=DigitsParams,
        summary="scikit-learn's embedded 8x8 digits, 1,797 images in 10 classes",
    )
