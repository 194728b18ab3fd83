import { calls, document, resetCalls } from "./vscodeMock";
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import type * as vscodeTypes from "vscode";
import * as vscode from "vscode";
import { DagIndex } from "../dag";
import { DagCache } from "../dagCache";
import { completionProvider, definitionProvider, hoverProvider, type DagFor } from "../language";
import { fixtureDag, PROJECT } from "./fixtures";

const ROOT = "/work/proj";
const PIPELINE = path.join(ROOT, "conf", "base", "pipeline.yml");
const CATALOG = path.join(ROOT, "conf", "base", "catalog.yml");
const pipelineText = fs.readFileSync(path.join(PROJECT, "conf", "base", "pipeline.yml"), "utf8");
const catalogText = fs.readFileSync(path.join(PROJECT, "conf", "base", "catalog.yml"), "utf8");
const asked: string[] = [];
const dagFor: DagFor = async (root) => {
  asked.push(root);
  return new DagIndex(fixtureDag());
};

/** The position of the first `word` in `text`, `offset` characters into it. */
function positionOf(text: string, word: string, offset = 1): vscodeTypes.Position {
  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes(word));
  assert.ok(line >= 0, word);
  return new vscode.Position(line, lines[line]!.indexOf(word) + offset);
}

async function definition(file: string, text: string, word: string, offset = 1) {
  const found = (await definitionProvider(dagFor).provideDefinition(document(file, text), positionOf(text, word, offset), undefined as never)) as
    | vscodeTypes.Location[]
    | undefined;
  return found?.map((location) => [path.relative(ROOT, location.uri.fsPath), location.range.start.line + 1]);
}

test("definition: a dataset goes to its catalog entry, in the document's project", async () => {
  asked.length = 0;
  assert.deepStrictEqual(await definition(PIPELINE, pipelineText, "numbers"), [["conf/base/catalog.yml", 3]]);
  assert.deepStrictEqual(asked, [ROOT]);
  assert.deepStrictEqual(await definition(PIPELINE, pipelineText, "- total", 3), [["conf/base/catalog.yml", 16]]);
});

test("definition: a transformation goes to its Python def, a params: key to parameters.yml", async () => {
  assert.deepStrictEqual(await definition(PIPELINE, pipelineText, "mini.nodes.total", 5), [["src/mini/nodes.py", 10]]);
  assert.deepStrictEqual(await definition(PIPELINE, pipelineText, "params:scaling.factor", 12), [["conf/base/parameters.yml", 2]]);
});

test("definition: nothing for a name the DAG does not know, or a place that names nothing", async () => {
  const text = pipelineText.replace("outputs: doubled", "outputs: doubld");
  assert.strictEqual(await definition(PIPELINE, text, "doubld"), undefined);
  assert.strictEqual(await definition(PIPELINE, pipelineText, "tags: [prep]", 8), undefined);
});

test("definition: a location outside the project is never offered", async () => {
  const dag = fixtureDag();
  dag.nodes.find((n) => n.id === "dataset:numbers")!.location = "../../etc/passwd:1";
  const outside: DagFor = async () => new DagIndex(dag);
  const found = await definitionProvider(outside).provideDefinition(document(PIPELINE, pipelineText), positionOf(pipelineText, "numbers"), undefined as never);
  assert.strictEqual(found, undefined);
});

async function complete(line: string, word: string) {
  const lines = pipelineText.split("\n");
  const index = lines.findIndex((l) => l.includes(line));
  lines[index] = word.replace("|", "");
  const buffer = lines.join("\n");
  const position = new vscode.Position(index, word.indexOf("|"));
  const items = (await completionProvider(dagFor).provideCompletionItems(document(PIPELINE, buffer), position, undefined as never, undefined as never)) as
    | vscodeTypes.CompletionItem[]
    | undefined;
  return items;
}

test("completion: dataset names and params: keys where a dataset goes, replacing the typed word", async () => {
  const items = (await complete("outputs: doubled", "        outputs: dou|"))!;
  assert.deepStrictEqual(items.map((i) => i.label), ["doubled", "numbers", "total", "params:scaling.factor"]);
  const doubled = items[0]!;
  assert.strictEqual(doubled.detail, "stale: numbers changed since the last run");
  const range = doubled.range as vscodeTypes.Range;
  assert.deepStrictEqual([range.start.character, range.end.character], [17, 20]);
});

test("completion: transformation paths after transformation:", async () => {
  const items = (await complete("transformation: mini.nodes.double", "        transformation: mini.|"))!;
  assert.deepStrictEqual(items.map((i) => [i.label, i.kind]), [
    ["mini.nodes.double", vscode.CompletionItemKind.Function],
    ["mini.nodes.total", vscode.CompletionItemKind.Function],
  ]);
});

test("completion: nothing in catalog.yml or where a key is typed", async () => {
  assert.strictEqual(await complete("tags: [prep]", "        tags: [p|]"), undefined);
  const position = positionOf(catalogText, "numbers:", 3);
  assert.strictEqual(await completionProvider(dagFor).provideCompletionItems(document(CATALOG, catalogText), position, undefined as never, undefined as never), undefined);
});

async function hover(file: string, text: string, word: string, offset = 1): Promise<string | undefined> {
  const found = (await hoverProvider(dagFor).provideHover(document(file, text), positionOf(text, word, offset), undefined as never)) as
    | vscodeTypes.Hover
    | undefined;
  return found && (found.contents[0] as vscodeTypes.MarkdownString).value;
}

test("hover: a dataset's status and reason, type, owner and its checks' last results", async () => {
  const text = (await hover(PIPELINE, pipelineText, "outputs: doubled", 10))!;
  assert.match(text, /\*\*doubled\*\* · dataset · `PandasParquetDataSet`/);
  assert.match(text, /\*\*stale\*\*: numbers changed since the last run/);
  assert.match(text, /owner: @team\/data/);
  assert.match(text, /\$\(pass\) not\\_null\\\(n\\\) \(error\)/);
  assert.match(text, /\$\(error\) row\\_count \\> 2 \(warn\): 2 rows — 2026-12-05T10:00:00Z/);
});

test("hover: a check that never ran as configured now says so", async () => {
  const text = (await hover(PIPELINE, pipelineText, "- total", 3))!;
  assert.match(text, /\$\(circle-outline\) unique\\\(total\\\) \(error\): not run yet/);
});

test("hover: on a catalog entry's name, and on a transformation (its task's status)", async () => {
  const numbers = (await hover(CATALOG, catalogText, "numbers:", 2))!;
  assert.match(numbers, /\*\*fresh\*\*/);
  assert.match(numbers, /Numbers typed by hand/);
  const task = (await hover(PIPELINE, pipelineText, "mini.nodes.double", 3))!;
  assert.match(task, /\*\*double\*\* · task/);
  assert.match(task, /\*\*stale\*\*: doubled: numbers changed since the last run/);
  assert.match(task, /defined at `src\/mini\/nodes.py:6`/);
  assert.match(task, /node at `conf\/base\/pipeline.yml:4`/);
});

test("hover: nothing on a key", async () => {
  assert.strictEqual(await hover(PIPELINE, pipelineText, "outputs: doubled", 2), undefined);
});

test("a CLI that fails: the providers answer nothing and the error is shown once", async () => {
  resetCalls();
  let reads = 0;
  const cache = new DagCache(
    async () => {
      reads++;
      throw new Error("the aether executable 'x' cannot be run (ENOENT)");
    },
    (message) => void calls.errors.push(message),
  );
  const failing: DagFor = (root) => cache.get(root);
  const position = positionOf(pipelineText, "numbers");
  for (let i = 0; i < 3; i++) {
    assert.strictEqual(await hoverProvider(failing).provideHover(document(PIPELINE, pipelineText), position, undefined as never), undefined);
  }
  assert.strictEqual(reads, 3, "a failed read is not cached");
  assert.deepStrictEqual(calls.errors, ["the aether executable 'x' cannot be run (ENOENT)"]);
});

test("the DAG is read once per project until a save invalidates it, even by callers at once", async () => {
  let reads = 0;
  const cache = new DagCache(async () => {
    reads++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return fixtureDag();
  }, () => undefined);
  const [a, b] = await Promise.all([cache.get(ROOT), cache.get(ROOT)]);
  assert.strictEqual(a, b);
  await cache.get(ROOT);
  assert.strictEqual(reads, 1);
  cache.invalidate();
  await cache.get(ROOT);
  assert.strictEqual(reads, 2);
});
