import { Collection } from "./vscodeMock";
import * as assert from "node:assert";
import * as path from "node:path";
import { test } from "node:test";
import * as vscode from "vscode";
import type { Problem, ValidateReport } from "../cli";
import { toDiagnostic, Validator } from "../diagnostics";

const ROOT = "/work/proj";

function problem(overrides: Partial<Problem> = {}): Problem {
  return {
    file: "conf/base/pipeline.yml",
    line: 10,
    column: 23,
    severity: "error",
    code: "config",
    message: "Node 'clean_orders' reads parameter 'cleanin.min_amount', which is not defined",
    hint: "add it to conf/base/parameters.yml",
    ...overrides,
  };
}

test("a problem becomes a diagnostic at its 1-based line and column, hint in the message", () => {
  const diagnostic = toDiagnostic(problem());
  assert.deepStrictEqual([diagnostic.range.start.line, diagnostic.range.start.character], [9, 22]);
  assert.strictEqual(diagnostic.message, "Node 'clean_orders' reads parameter 'cleanin.min_amount', which is not defined — add it to conf/base/parameters.yml");
  assert.strictEqual(diagnostic.severity, vscode.DiagnosticSeverity.Error);
  assert.strictEqual(diagnostic.source, "aether");
  assert.strictEqual(diagnostic.code, "config");
});

test("severities map, and a problem without line, column or hint starts the file", () => {
  const severity = (s: string) => toDiagnostic(problem({ severity: s })).severity;
  assert.deepStrictEqual(
    ["error", "warning", "info", "hint", "WARNING", "odd"].map(severity),
    [vscode.DiagnosticSeverity.Error, vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Information, vscode.DiagnosticSeverity.Hint, vscode.DiagnosticSeverity.Warning, vscode.DiagnosticSeverity.Error],
  );
  const bare = toDiagnostic(problem({ line: null, column: null, hint: null, message: "m" }));
  assert.deepStrictEqual([bare.range.start.line, bare.range.start.character, bare.message], [0, 0, "m"]);
});

/** A validate whose answers the test hands out one by one, counting overlapping runs. */
function scripted() {
  const answers: (ValidateReport | Error)[] = [];
  const state = { calls: 0, running: 0, most: 0 };
  const validate = async (root: string) => {
    assert.strictEqual(root, ROOT);
    state.calls++;
    state.running++;
    state.most = Math.max(state.most, state.running);
    await new Promise((resolve) => setTimeout(resolve, 15));
    state.running--;
    const answer = answers.shift() ?? { problems: [], valid: true };
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { answers, state, validate };
}

const file = (relative: string) => path.join(ROOT, relative);

test("diagnostics per file, replaced by the next answer: a fixed problem disappears", async () => {
  const collection = new Collection();
  const { answers, validate } = scripted();
  const validator = new Validator(collection as unknown as vscode.DiagnosticCollection, validate, () => undefined, 5);
  answers.push({ problems: [problem(), problem({ file: "conf/base/catalog.yml", line: 3 }), problem({ file: null })], valid: false });
  await validator.runNow(ROOT);
  assert.deepStrictEqual([...collection.entries.keys()].sort(), [file("conf/base/catalog.yml"), file("conf/base/pipeline.yml")]);
  assert.strictEqual(collection.entries.get(file("conf/base/pipeline.yml"))!.length, 2, "a problem without a file shows on the pipeline");
  answers.push({ problems: [problem({ file: "conf/base/catalog.yml", line: 3 })], valid: false });
  await validator.runNow(ROOT);
  assert.deepStrictEqual([...collection.entries.keys()], [file("conf/base/catalog.yml")]);
  await validator.runNow(ROOT);
  assert.strictEqual(collection.entries.size, 0);
});

test("a file outside the project in a problem is shown on the pipeline instead", async () => {
  const collection = new Collection();
  const { answers, validate } = scripted();
  const validator = new Validator(collection as unknown as vscode.DiagnosticCollection, validate, () => undefined, 5);
  answers.push({ problems: [problem({ file: "../../etc/passwd" }), problem({ file: "/etc/passwd" })], valid: false });
  await validator.runNow(ROOT);
  assert.deepStrictEqual([...collection.entries.keys()], [file("conf/base/pipeline.yml")]);
});

test("a CLI failure is one error message, not one per save, and keeps the diagnostics", async () => {
  const collection = new Collection();
  const errors: string[] = [];
  const { answers, validate } = scripted();
  const validator = new Validator(collection as unknown as vscode.DiagnosticCollection, validate, (m) => errors.push(m), 5);
  answers.push({ problems: [problem()], valid: false });
  answers.push(new Error("the aether executable 'x' cannot be run (ENOENT)"), new Error("the aether executable 'x' cannot be run (ENOENT)"));
  for (let i = 0; i < 3; i++) await validator.runNow(ROOT);
  assert.deepStrictEqual(errors, ["Aether: aether validate failed: the aether executable 'x' cannot be run (ENOENT)"]);
  assert.strictEqual(collection.entries.size, 1);
});

test("saves in a burst make one validate, and never two run at once", async () => {
  const collection = new Collection();
  const { state, validate } = scripted();
  const validator = new Validator(collection as unknown as vscode.DiagnosticCollection, validate, () => undefined, 20);
  for (let i = 0; i < 5; i++) validator.schedule(ROOT);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.strictEqual(state.calls, 1);
  // Requests while one runs: one more run after it, not several and not in parallel.
  await Promise.all([validator.runNow(ROOT), validator.runNow(ROOT), validator.runNow(ROOT)]);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.strictEqual(state.most, 1);
  assert.strictEqual(state.calls, 3);
  validator.dispose();
});
