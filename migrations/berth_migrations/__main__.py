"""`python -m berth_migrations render SPEC`: the background render `renders.start_render` starts.

SPEC is JSON: the project, its answers file, the ref, the answers and the paths to render.
"""

import json
import sys

from berth_migrations.renders import render_in_background

if sys.argv[1:2] != ["render"] or len(sys.argv) != 3:
    sys.exit("usage: python -m berth_migrations render SPEC")
render_in_background(json.loads(sys.argv[2]))
