// End to end in real headless Chromium: the page DagPanel builds (the real viewer under its
// CSP, acquireVsCodeApi stubbed by viewer/test/drive.mjs), a click on a node's "open" button,
// and the message it posts handed to DagPanel, which opens the file at the line.
import { calls } from "./vscodeMock";
import * as assert from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as vscode from "vscode";
import { DagPanel } from "../dagPanel";
import { fixtureDag, PACKAGE, projectCopy, tempDir } from "./fixtures";

const REPO = path.join(PACKAGE, "..");
const DRIVER = path.join(REPO, "viewer", "test", "drive.mjs");
const VIEWER = path.join(REPO, "aether-runtime", "src", "aether", "insight", "viewer.js");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const missing = [
  [fs.existsSync(CHROMIUM), `Chromium at ${CHROMIUM}`],
  [fs.existsSync(path.join(REPO, "viewer", "node_modules", "playwright-core")), "playwright-core (npm ci in viewer/)"],
].filter(([present]) => !present).map(([, what]) => what);
if (missing.length && process.env.AETHER_NO_SKIP === "1") throw new Error(`the webview test needs ${missing.join(" and ")} (AETHER_NO_SKIP=1)`);
const skip = missing.length ? `needs ${missing.join(" and ")}` : false;

test("a node's open button in the real viewer opens its code through DagPanel", { skip }, async () => {
  const root = projectCopy();
  const media = path.join(tempDir(), "media");
  fs.mkdirSync(media);
  fs.copyFileSync(VIEWER, path.join(media, "viewer.js"));
  const panel = new DagPanel(vscode as never, vscode.Uri.file(path.dirname(media)), () => ({ root, readDag: async () => fixtureDag() }));
  await panel.show();
  const page = calls.panels.at(-1);
  // The mock's webview URI scheme stands for VS Code's; in the browser the page loads from file://.
  const html = (page.webview.html as string).replace(/vscode-webview:\/\//g, "file://").replace(/img-src [^;]+;/, "img-src file:;");
  const file = path.join(media, "..", "webview.html");
  fs.writeFileSync(file, html);
  const report = JSON.parse(execFileSync(process.execPath, [DRIVER, file, "--vscode", "--click", "task:double", "--open"], { encoding: "utf8", cwd: path.join(REPO, "viewer") }));
  assert.deepStrictEqual(report.errors, []);
  assert.deepStrictEqual(report.requests, []);
  assert.deepStrictEqual(report.posted, [{ type: "open", location: "src/mini/nodes.py:6" }]);
  for (const message of report.posted) await page.receive(message);
  assert.deepStrictEqual(calls.opened.at(-1), { file: path.join(root, "src", "mini", "nodes.py"), line: 5 });
});
