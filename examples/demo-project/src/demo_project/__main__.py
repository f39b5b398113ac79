"""The commands as a program: the `demo-project` script and `python -m demo_project`.

A command is a short process: it imports MLflow, scikit-learn and pandas (some 300,000
objects), works for seconds and ends. Python's full garbage collections walk all of those
objects again and again during the imports and once more at exit, and free next to nothing:
measured on this project, 2-4 s of `train`, `evaluate` and `predict`, 15-31 % of their time.
So the program raises the threshold of full collections (young collections stay as they
are) and, when the command ends, freezes what is left so that the exit skips that walk.
Code that calls the CLI or the jobs from Python (tests, notebooks) keeps the defaults.
"""

import gc

from demo_project.cli import main as cli

FULL_COLLECTION_THRESHOLD = 10_000


def main() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
    try:
        cli()
    finally:
        gc.collect()  # finalise what the command left, as the exit would
        gc.freeze()  # and let the interpreter exit without walking every object again


if __name__ == "__main__":
    main()
