// The $aether problem matcher of package.json on the lines the real CLI prints (the fixture
// is checked against the CLI by aether-runtime/tests/integration/viz/test_vscode_fixtures.py).
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { FIXTURES, PACKAGE } from "./fixtures";

interface Expected {
  severity: string;
  file: string;
  line: number;
  column: number | null;
}

const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE, "package.json"), "utf8"));
const matcher = manifest.contributes.problemMatchers.find((m: { name: string }) => m.name === "aether");
const scenarios = JSON.parse(fs.readFileSync(path.join(FIXTURES, "cli-lines.json"), "utf8")).scenarios as {
  scenario: string;
  lines: { text: string; problem: Expected | null }[];
}[];

/** What VS Code reads from a line with the matcher's pattern (its own group numbers). */
function read(line: string): Expected | null {
  const match = new RegExp(matcher.pattern.regexp).exec(line);
  if (!match) return null;
  const column = match[matcher.pattern.column];
  return {
    severity: match[matcher.pattern.severity]!,
    file: match[matcher.pattern.file]!,
    line: Number(match[matcher.pattern.line]),
    column: column === undefined ? null : Number(column),
  };
}

test("package.json contributes $aether, reading paths relative to the workspace folder", () => {
  assert.ok(matcher, "no problem matcher named aether");
  assert.deepStrictEqual(matcher.fileLocation, ["relative", "${workspaceFolder}"]);
  // Markers are grouped by owner: a task run clears its matcher's owner, which must not be
  // the diagnostics collection's ("aether", extension.ts), or a run would wipe them.
  assert.notStrictEqual(matcher.owner, "aether");
  assert.match(fs.readFileSync(path.join(PACKAGE, "src", "extension.ts"), "utf8"), /createDiagnosticCollection\("aether"\)/);
});

for (const scenario of scenarios) {
  test(`$aether reads the CLI's lines: ${scenario.scenario}`, () => {
    for (const line of scenario.lines) assert.deepStrictEqual(read(line.text), line.problem, line.text);
  });
}

test("$aether keeps the message and its hint, and reads a coloured line (a task runs in a terminal)", () => {
  const line = scenarios.find((s) => s.scenario === "unknown_type")!.lines[0]!;
  const match = new RegExp(matcher.pattern.regexp).exec(line.text)!;
  assert.strictEqual(`error: ${match[matcher.pattern.message]}`, line.text);
  assert.deepStrictEqual(read(`\u001b[31m${line.text}\u001b[0m`), line.problem);
});

test("$aether ignores lines that are not errors or warnings", () => {
  assert.strictEqual(read("Configuration is valid: 1 pipeline(s), 2 node(s) (conf/base/catalog.yml:3)"), null);
  assert.strictEqual(read("[1/2] double failed: see src/mini/nodes.py:6"), null);
});
