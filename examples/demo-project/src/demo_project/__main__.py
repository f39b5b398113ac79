"""Allow `python -m demo_project`."""

from demo_project.cli import main

if __name__ == "__main__":
    main()
