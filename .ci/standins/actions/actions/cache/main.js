// Restore step of the actions/cache stand-in: runs the Python implementation.
const { spawnSync } = require("child_process");
const result = spawnSync("python3", ["/opt/berth/actions/cache.py", "restore"], { stdio: "inherit" });
process.exitCode = result.status === null ? 1 : result.status;
