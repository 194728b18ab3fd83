// The real `aether` CLI (the repository's .venv, or $AETHER_EXECUTABLE) feeding the bridge,
// the providers and the diagnostics on a copy of the test project.
import { Collection, document } from "./vscodeMock";
import * as assert from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import type * as vscodeTypes from "vscode";
import * as vscode from "vscode";
import { readDag, readProblems } from "../cli";
import { DagIndex } from "../dag";
import { Validator } from "../diagnostics";
import { definitionProvider, hoverProvider, type DagFor } from "../language";
import { PACKAGE, projectCopy } from "./fixtures";

const executable = process.env.AETHER_EXECUTABLE || path.join(PACKAGE, "..", ".venv", "bin", "aether");
const present = fs.existsSync(executable);
if (!present && process.env.AETHER_NO_SKIP === "1") {
  throw new Error(`the aether CLI is missing at ${executable} (AETHER_NO_SKIP=1): run make install at the repository root`);
}
const skip = present ? false : `no aether CLI at ${executable}: run make install at the repository root`;

test("the real CLI's DAG feeds definition (transformation, params:) and hover", { skip }, async () => {
  const root = projectCopy();
  const dag = new DagIndex(await readDag(executable, root));
  const dagFor: DagFor = async () => dag;
  const pipeline = path.join(root, "conf", "base", "pipeline.yml");
  const text = fs.readFileSync(pipeline, "utf8");
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes("transformation: mini.nodes.total"));
  const at = new vscode.Position(line, lines[line]!.indexOf("mini.nodes.total") + 4);
  const found = (await definitionProvider(dagFor).provideDefinition(document(pipeline, text), at, undefined as never)) as vscodeTypes.Location[];
  assert.deepStrictEqual(found.map((l) => [l.uri.fsPath, l.range.start.line]), [[path.join(root, "src", "mini", "nodes.py"), 9]]);
  assert.match(fs.readFileSync(path.join(root, "src", "mini", "nodes.py"), "utf8").split("\n")[9]!, /^def total\(/);
  const factor = lines.findIndex((l) => l.includes("params:scaling.factor"));
  const param = (await definitionProvider(dagFor).provideDefinition(document(pipeline, text), new vscode.Position(factor, lines[factor]!.indexOf("params:") + 9), undefined as never)) as vscodeTypes.Location[] | undefined;
  assert.deepStrictEqual(param?.map((l) => [l.uri.fsPath, l.range.start.line]), [[path.join(root, "conf", "base", "parameters.yml"), 1]]);
  const numbers = lines.findIndex((l) => l.includes("rows: numbers"));
  const hover = (await hoverProvider(dagFor).provideHover(document(pipeline, text), new vscode.Position(numbers, lines[numbers]!.indexOf("numbers") + 2), undefined as never)) as vscodeTypes.Hover;
  const markdown = (hover.contents[0] as vscodeTypes.MarkdownString).value;
  assert.match(markdown, /\*\*numbers\*\* · dataset · `PandasCsvDataSet`/);
  assert.match(markdown, /\*\*fresh\*\*/);
});

test("the real CLI's validate --json becomes diagnostics, cleared once the file is fixed", { skip }, async () => {
  const root = projectCopy();
  const catalog = path.join(root, "conf", "base", "catalog.yml");
  const good = fs.readFileSync(catalog, "utf8");
  fs.writeFileSync(catalog, good.replace("type: PandasParquetDataSet", "type: PandasParquetDataSt"));
  const collection = new Collection();
  const validator = new Validator(collection as unknown as vscodeTypes.DiagnosticCollection, (where) => readProblems(executable, where), () => assert.fail("no CLI failure expected"), 5);
  await validator.runNow(root);
  const diagnostics = collection.entries.get(catalog)!;
  assert.strictEqual(diagnostics.length, 1);
  assert.strictEqual(diagnostics[0]!.range.start.line, 9);
  assert.match(diagnostics[0]!.message, /unknown type 'PandasParquetDataSt' — did you mean 'PandasParquetDataSet'\?/);
  fs.writeFileSync(catalog, good);
  await validator.runNow(root);
  assert.strictEqual(collection.entries.size, 0);
});

test("the hover shows what the real CLI knows after a run: fresh, then stale with the reason", { skip }, async () => {
  const root = projectCopy();
  execFileSync(executable, ["run"], { cwd: root, stdio: "pipe" });
  const pipeline = path.join(root, "conf", "base", "pipeline.yml");
  const text = fs.readFileSync(pipeline, "utf8");
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes("outputs: doubled"));
  const at = new vscode.Position(line, lines[line]!.indexOf("doubled") + 2);
  const hoverOn = async () => {
    const dag = new DagIndex(await readDag(executable, root));
    const found = (await hoverProvider(async () => dag).provideHover(document(pipeline, text), at, undefined as never)) as vscodeTypes.Hover;
    return (found.contents[0] as vscodeTypes.MarkdownString).value;
  };
  assert.match(await hoverOn(), /\*\*fresh\*\*/);
  fs.appendFileSync(path.join(root, "data", "01_raw", "numbers.csv"), "4\n");
  const stale = await hoverOn();
  assert.match(stale, /\*\*stale\*\*: .*numbers/);
});
