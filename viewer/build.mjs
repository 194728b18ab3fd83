// Builds src/main.js into ONE minified file inside the Python package, so installing
// Aether never needs Node. CI rebuilds it and fails if the committed file differs.
import { build } from "esbuild";
import { copyFileSync } from "node:fs";

const out = "../aether-runtime/src/aether/insight";
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  charset: "utf8",
  outfile: `${out}/viewer.js`,
});
// dagre and graphlib are MIT: their notices travel with the bundle.
const notice = (name) => `node_modules/@dagrejs/${name}/LICENSE`;
copyFileSync(notice("dagre"), `${out}/viewer.dagre.LICENSE`);
copyFileSync(notice("graphlib"), `${out}/viewer.graphlib.LICENSE`);
