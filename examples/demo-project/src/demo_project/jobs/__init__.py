"""The jobs: prepare, train, tune, evaluate, predict and serve as plain functions.

Each takes the settings (and the few arguments of one call), reports its steps to an
optional progress callback, and returns a typed record (`records`). The commands and
notebooks call them alike, from the project folder:

    from demo_project.io.params import read_params
    from demo_project import jobs

    settings = read_params("params.yaml").override({"model.params.n_estimators": 50})
    run = jobs.train(settings)
    evaluation = jobs.evaluate(settings)
"""

from .evaluate import evaluate, promote_version
from .partitioned import predict_partitions
from .predict import predict
from .prepare import prepare
from .progress import Progress, Step
from .serve import serve
from .train import train
from .tune import tune

__all__ = [
    "Progress",
    "Step",
    "evaluate",
    "predict",
    "predict_partitions",
    "prepare",
    "promote_version",
    "serve",
    "train",
    "tune",
]
