// The webview draws with the viewer bundled into the Python package (built from ../viewer).
const fs = require("node:fs");
const path = require("node:path");

const insight = path.join(__dirname, "..", "aether-runtime", "src", "aether", "insight");
fs.mkdirSync(path.join(__dirname, "media"), { recursive: true });
for (const name of ["viewer.js", "viewer.dagre.LICENSE", "viewer.graphlib.LICENSE"]) {
  fs.copyFileSync(path.join(insight, name), path.join(__dirname, "media", name));
}
