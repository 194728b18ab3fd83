// The CLI bridge: `aether viz --format json`, run without a shell, with a timeout; the answer
// is checked against the schema's version before the webview sees it.
const { execFile } = require("node:child_process");
const path = require("node:path");
const fs = require("node:fs");

const SCHEMA = "aether.dag/v1";

function defaultExecutable(root, configured) {
  if (configured) return configured;
  const venv = path.join(root, ".venv", process.platform === "win32" ? "Scripts/aether.exe" : "bin/aether");
  return fs.existsSync(venv) ? venv : "aether";
}

function readDag(executable, root, { env, pipeline, timeout = 60000 } = {}) {
  const argv = ["viz", "--format", "json"];
  if (env) argv.push("--env", env);
  if (pipeline) argv.push("--pipeline", pipeline);
  return new Promise((resolve, reject) => {
    execFile(executable, argv, { cwd: root, timeout, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const line = String(stderr || error.message).trim().split("\n").pop();
        reject(new Error(line || `aether viz failed (${error.code})`));
        return;
      }
      let dag;
      try {
        dag = JSON.parse(stdout);
      } catch (parse) {
        reject(new Error("aether viz did not print JSON: is the aether executable setting right?"));
        return;
      }
      if (dag.schema !== SCHEMA) {
        reject(new Error(`aether viz printed schema '${dag.schema}', this extension reads ${SCHEMA}: update one of them`));
        return;
      }
      resolve(dag);
    });
  });
}

module.exports = { SCHEMA, defaultExecutable, readDag };
