// activate() wired to the mock: what it registers, and what a save or a hover makes it do,
// with a stand-in CLI that logs each call.
import { calls, document, registry, resetCalls, resetRegistry, window, workspace } from "./vscodeMock";
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import type * as vscodeTypes from "vscode";
import * as vscode from "vscode";
import { activate } from "../extension";
import { fakeAether, FIXTURES, projectCopy, tempDir } from "./fixtures";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `done()` holds (the debounce and the stand-in CLI take a moment), or fail. */
async function until(done: () => boolean, what: string, timeout = 10000): Promise<void> {
  const end = Date.now() + timeout;
  while (!done()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await wait(20);
  }
}

function setUp() {
  resetRegistry();
  resetCalls();
  const root = projectCopy();
  const log = path.join(tempDir(), "calls.log");
  const { file } = fakeAether(`
const fs = require("fs");
fs.appendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(" ") + "\\n");
if (process.argv[2] === "viz") process.stdout.write(fs.readFileSync(${JSON.stringify(path.join(FIXTURES, "dag.json"))}, "utf8"));
else {
  const broken = fs.readFileSync("conf/base/catalog.yml", "utf8").includes("DataSt");
  const problems = broken ? [{file: "conf/base/catalog.yml", line: 10, column: null, severity: "error", code: "catalog", message: "unknown type", hint: null}] : [];
  process.stdout.write(JSON.stringify({problems, valid: !broken}));
  process.exit(broken ? 2 : 0);
}`);
  registry.settings.set("aether.executable", file);
  registry.settings.set("aether.env", "dev");
  workspace.workspaceFolders = [{ uri: vscode.Uri.file(root), name: "project", index: 0 }];
  const context = { subscriptions: [] as unknown[], extensionUri: vscode.Uri.file("/ext") };
  activate(context as unknown as vscodeTypes.ExtensionContext);
  const logged = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
  return { root, logged, context };
}

function save(file: string): void {
  for (const listener of registry.listeners.save) listener(document(file, fs.readFileSync(file, "utf8")));
}

test("activate registers the tasks, the commands and the three providers on pipeline.yml and catalog.yml", () => {
  const { context } = setUp();
  assert.ok(registry.taskProviders.has("aether"));
  assert.deepStrictEqual([...registry.commands.keys()].sort(), ["aether.refreshDag", "aether.showDag"]);
  assert.deepStrictEqual(registry.providers.map((p) => p.kind), ["definition", "completion", "hover"]);
  for (const { selector } of registry.providers) {
    assert.deepStrictEqual(selector, [
      { scheme: "file", pattern: "**/conf/**/pipeline.yml" },
      { scheme: "file", pattern: "**/conf/**/catalog.yml" },
    ]);
  }
  assert.ok(context.subscriptions.length >= 10);
});

test("a hover reads the DAG once (with the env setting); a save under src/ makes the next one read it again", async () => {
  const { root, logged } = setUp();
  const hover = registry.providers.find((p) => p.kind === "hover")!.provider;
  const pipeline = path.join(root, "conf", "base", "pipeline.yml");
  const text = fs.readFileSync(pipeline, "utf8");
  const line = text.split("\n").findIndex((l) => l.includes("rows: numbers"));
  const at = new vscode.Position(line, 20);
  assert.ok(await hover.provideHover(document(pipeline, text), at));
  assert.ok(await hover.provideHover(document(pipeline, text), at));
  assert.deepStrictEqual(logged(), ["viz --format json --env dev"]);
  save(path.join(root, "src", "mini", "nodes.py"));
  await hover.provideHover(document(pipeline, text), at);
  assert.deepStrictEqual(logged(), ["viz --format json --env dev", "viz --format json --env dev"]);
});

test("saving a conf/ YAML validates the project: diagnostics appear, then clear once fixed", async () => {
  const { root, logged } = setUp();
  const catalog = path.join(root, "conf", "base", "catalog.yml");
  const good = fs.readFileSync(catalog, "utf8");
  fs.writeFileSync(catalog, good.replace("PandasParquetDataSet", "PandasParquetDataSt"));
  save(catalog);
  const collection = registry.collections[0]!;
  await until(() => collection.entries.size > 0, "the diagnostics");
  assert.deepStrictEqual([...collection.entries.keys()], [catalog]);
  assert.ok(logged().includes("validate --json --env dev"));
  fs.writeFileSync(catalog, good);
  save(catalog);
  await until(() => collection.entries.size === 0, "the diagnostics cleared");
  save(path.join(root, "src", "mini", "nodes.py"));
  await wait(500);
  assert.strictEqual(logged().filter((l) => l.startsWith("validate")).length, 2, "a Python file is not validated");
});

test("Show DAG opens the view; a save under conf/ posts the new DAG to it", async () => {
  const { root } = setUp();
  await registry.commands.get("aether.showDag")!();
  assert.strictEqual(calls.panels.length, 1);
  const webview = calls.panels[0].webview;
  assert.match(webview.html, /"id":"task:double"/);
  save(path.join(root, "conf", "base", "pipeline.yml"));
  await until(() => webview.posted.length > 0, "the update posted");
  assert.strictEqual(webview.posted.length, 1);
  assert.strictEqual(webview.posted[0].type, "update");
  assert.deepStrictEqual(calls.errors, []);
});

test("in a workspace whose first folder is not a project, the offered tasks run in the project with its own aether", async () => {
  const { root } = setUp();
  const notes = tempDir();
  fs.mkdirSync(path.join(notes, ".venv", "bin"), { recursive: true });
  fs.writeFileSync(path.join(notes, ".venv", "bin", "aether"), "", { mode: 0o755 });
  fs.mkdirSync(path.join(root, ".venv", "bin"), { recursive: true });
  fs.writeFileSync(path.join(root, ".venv", "bin", "aether"), "", { mode: 0o755 });
  registry.settings.set("aether.executable", "");
  workspace.workspaceFolders = [
    { uri: vscode.Uri.file(notes), name: "notes", index: 0 },
    { uri: vscode.Uri.file(root), name: "project", index: 1 },
  ];
  const tasks = (await registry.taskProviders.get("aether").provideTasks()) as vscodeTypes.Task[];
  const execution = tasks[0]!.execution as vscodeTypes.ProcessExecution;
  assert.strictEqual(execution.process, path.join(root, ".venv", "bin", "aether"));
  assert.strictEqual(execution.options?.cwd, root);
});

test("in a workspace of two projects, Show DAG draws the project being edited, and opens and refreshes inside it", async () => {
  setUp();
  const [first, second] = [projectCopy(), projectCopy()];
  // The stand-in CLI names the project it ran in: the DAG says which project was read.
  // (A save also validates: that answer is "no problems", so no error can race the update.)
  const { file } = fakeAether(`
if (process.argv[2] !== "viz") return process.stdout.write(JSON.stringify({problems: [], valid: true}));
const dag = JSON.parse(require("fs").readFileSync(${JSON.stringify(path.join(FIXTURES, "dag.json"))}, "utf8"));
dag.pipeline = process.cwd();
process.stdout.write(JSON.stringify(dag));`);
  registry.settings.set("aether.executable", file);
  workspace.workspaceFolders = [
    { uri: vscode.Uri.file(first), name: "first", index: 0 },
    { uri: vscode.Uri.file(second), name: "second", index: 1 },
  ];
  const drawn = (html: string) => JSON.parse(/<script type="application\/json" id="aether-dag">(.*?)<\/script>/s.exec(html)![1]!).pipeline;
  window.activeTextEditor = { document: { uri: vscode.Uri.file(path.join(second, "conf", "base", "pipeline.yml")) } };
  await registry.commands.get("aether.showDag")!();
  const page = calls.panels[0];
  assert.strictEqual(drawn(page.webview.html), second);
  await page.receive({ type: "open", location: "src/mini/nodes.py:10" });
  assert.deepStrictEqual(calls.opened, [{ file: path.join(second, "src", "mini", "nodes.py"), line: 9 }]);
  window.activeTextEditor = { document: { uri: vscode.Uri.file(path.join(first, "src", "mini", "nodes.py")) } };
  await registry.commands.get("aether.showDag")!();
  assert.strictEqual(calls.panels.length, 1, "the one view now draws the other project");
  assert.strictEqual(drawn(page.webview.html), first);
  await page.receive({ type: "open", location: "src/mini/nodes.py:10" });
  assert.deepStrictEqual(calls.opened[1], { file: path.join(first, "src", "mini", "nodes.py"), line: 9 });
  window.activeTextEditor = undefined;
  save(path.join(second, "conf", "base", "pipeline.yml"));
  await until(() => page.webview.posted.length > 0, "the update posted");
  assert.strictEqual(page.webview.posted[0].dag.pipeline, first, "a refresh reads the project the view draws");
  assert.deepStrictEqual(calls.errors, []);
});
