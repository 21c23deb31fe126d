"""The main job on embedded data: what `make demo` runs.

It lists the installed components, then loads the embedded digits through the registry and
scores a nearest-neighbour classifier on the held-out split with the registered metric.
"""

from __future__ import annotations

import embedlab


def main() -> None:
    """Run the demo and print what it found."""
    for info in embedlab.plugins():
        print(f"{info.kind:8} {info.name:20} from {info.distribution} {info.version}")
    from sklearn.neighbors import KNeighborsClassifier

    data = embedlab.create("dataset", "digits", flatten=True)
    knn = KNeighborsClassifier(n_neighbors=1).fit(data["train"].X, data["train"].y)
    accuracy = embedlab.create("metric", "accuracy")
    score = accuracy(data["test"].y, knn.predict(data["test"].X))
    print(f"1-NN on raw digits pixels: test accuracy {score:.3f}")


if __name__ == "__main__":
    main()
