import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { completionAt, tokenAt } from "../yamlCursor";
import { PROJECT } from "./fixtures";

const pipeline = fs.readFileSync(path.join(PROJECT, "conf", "base", "pipeline.yml"), "utf8").split("\n");
const catalog = fs.readFileSync(path.join(PROJECT, "conf", "base", "catalog.yml"), "utf8").split("\n");

/** The cursor on the first occurrence of `word` in `lines` (at its `offset`-th character). */
function at(lines: string[], word: string, offset = 1, after = 0): [number, number] {
  for (let line = after; line < lines.length; line++) {
    const column = lines[line]!.indexOf(word);
    if (column >= 0) return [line, column + offset];
  }
  throw new Error(`${word} not in the buffer`);
}

function token(lines: string[], word: string, kind: "pipeline" | "catalog" = "pipeline", offset = 1) {
  const [line, character] = at(lines, word, offset);
  const found = tokenAt(lines, line, character, kind);
  return found && { role: found.role, name: found.name };
}

test("a dataset as a block-map input value, a plain output and a list item", () => {
  assert.deepStrictEqual(token(pipeline, "numbers"), { role: "dataset", name: "numbers" });
  assert.deepStrictEqual(token(pipeline, "outputs: doubled", "pipeline", 10), { role: "dataset", name: "doubled" });
  assert.deepStrictEqual(token(pipeline, "- total", "pipeline", 3), { role: "dataset", name: "total" });
});

test("a dataset as a {flow: mapping} value, and its key is not one", () => {
  assert.deepStrictEqual(token(pipeline, "{rows: doubled}", "pipeline", 8), { role: "dataset", name: "doubled" });
  assert.strictEqual(token(pipeline, "{rows: doubled}", "pipeline", 2), undefined);
});

test("an argument name under inputs:, a tag and a key are not datasets", () => {
  assert.strictEqual(token(pipeline, "rows: numbers"), undefined);
  assert.strictEqual(token(pipeline, "[prep]"), undefined);
  assert.strictEqual(token(pipeline, "transformation:"), undefined);
});

test("a transformation's dotted path, a params: key anywhere, a node's name", () => {
  assert.deepStrictEqual(token(pipeline, "mini.nodes.double", "pipeline", 7), { role: "transformation", name: "mini.nodes.double" });
  assert.deepStrictEqual(token(pipeline, "params:scaling.factor", "pipeline", 3), { role: "param", name: "scaling.factor" });
  assert.deepStrictEqual(token(pipeline, "params:scaling.factor", "pipeline", 15), { role: "param", name: "scaling.factor" });
  assert.deepStrictEqual(token(pipeline, "name: double", "pipeline", 8), { role: "task", name: "double" });
});

test("in catalog.yml a top-level key is a dataset; nested keys and values are not", () => {
  assert.deepStrictEqual(token(catalog, "doubled:", "catalog", 2), { role: "dataset", name: "doubled" });
  assert.strictEqual(token(catalog, "type: PandasCsvDataSet", "catalog", 8), undefined);
  assert.strictEqual(token(catalog, "owner", "catalog", 2), undefined);
  assert.strictEqual(token(catalog, "# The extension", "catalog", 3), undefined);
});

test("the token's span covers the whole name, params: included", () => {
  const [line, character] = at(pipeline, "params:scaling.factor", 10);
  const found = tokenAt(pipeline, line, character, "pipeline")!;
  assert.strictEqual(pipeline[line]!.slice(found.start, found.end), "params:scaling.factor");
});

function spot(text: string, lines: string[] = [...pipeline]) {
  // The line replaced by `text` where "|" marks the cursor, inside the first node.
  const line = at(lines, "outputs: doubled")[0];
  const copy = [...lines];
  copy[line] = text.replace("|", "");
  const found = completionAt(copy, line, text.indexOf("|"), "pipeline");
  return found && { roles: found.roles, prefix: found.prefix };
}

test("completion: datasets and params where a dataset goes, with the typed prefix", () => {
  assert.deepStrictEqual(spot("        outputs: |"), { roles: ["dataset", "param"], prefix: "" });
  assert.deepStrictEqual(spot("        outputs: dou|"), { roles: ["dataset", "param"], prefix: "dou" });
  assert.deepStrictEqual(spot("        outputs: [doubled, |]"), { roles: ["dataset", "param"], prefix: "" });
  assert.deepStrictEqual(spot("        inputs: {rows: |}"), { roles: ["dataset", "param"], prefix: "" });
  assert.deepStrictEqual(spot("        inputs: {rows: numbers, factor: params:sc|}"), { roles: ["param"], prefix: "params:sc" });
});

test("completion: a transformation path, and nothing where a key is typed", () => {
  assert.deepStrictEqual(spot("        transformation: mini.|"), { roles: ["transformation"], prefix: "mini." });
  assert.strictEqual(spot("        inputs: {|}"), undefined);
  assert.strictEqual(spot("        inputs: {rows: numbers, |}"), undefined);
  assert.strictEqual(spot("        outp|"), undefined);
  assert.strictEqual(spot("        tags: [pr|]"), undefined);
});

test("completion: a block-map value and a list item under inputs/outputs", () => {
  const lines = [...pipeline];
  const rows = at(lines, "rows: numbers")[0];
  lines[rows] = "          rows: ";
  assert.deepStrictEqual(completionAt(lines, rows, lines[rows]!.length, "pipeline")?.roles, ["dataset", "param"]);
  const item = at(lines, "- total")[0];
  lines[item] = "          - ";
  assert.deepStrictEqual(completionAt(lines, item, lines[item]!.length, "pipeline")?.roles, ["dataset", "param"]);
});
