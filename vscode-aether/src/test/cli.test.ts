import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CliError, defaultExecutable, MAX_MESSAGE, readDag, readProblems } from "../cli";
import { fakeAether, tempDir } from "./fixtures";

test("readDag runs `aether viz --format json` with the env and checks the schema", async () => {
  const { dir, file } = fakeAether(
    `process.stdout.write(JSON.stringify({schema: "aether.dag/v1", pipeline: "p", argv: process.argv.slice(2), nodes: [], edges: []}))`,
  );
  const dag = (await readDag(file, dir, { env: "prod" })) as unknown as { argv: string[] };
  assert.deepStrictEqual(dag.argv, ["viz", "--format", "json", "--env", "prod"]);
});

test("a CLI error comes back as its one-line message", async () => {
  const { dir, file } = fakeAether(`console.error("error: Unknown pipeline 'x' — did you mean 'y'?"); process.exit(2)`);
  await assert.rejects(readDag(file, dir), { name: "Error", message: "error: Unknown pipeline 'x' — did you mean 'y'?" });
});

test("an executable that is not there says which one and what to do", async () => {
  const dir = tempDir();
  await assert.rejects(readDag(path.join(dir, "nope"), dir), (error: Error) => {
    assert.ok(error instanceof CliError);
    assert.match(error.message, /the aether executable '.*nope' cannot be run \(ENOENT\): set aether.executable, or run `make install`/);
    return true;
  });
});

test("an executable that prints no JSON is named as the likely cause", async () => {
  const { dir, file } = fakeAether(`console.log("Usage: something else")`);
  await assert.rejects(readDag(file, dir), /aether viz did not print JSON: is the aether.executable setting an Aether CLI\?/);
  await assert.rejects(readProblems(file, dir), /aether validate --json did not print JSON/);
});

test("another schema version, or no nodes, is refused", async () => {
  const v2 = fakeAether(`process.stdout.write(JSON.stringify({schema: "aether.dag/v2"}))`);
  await assert.rejects(readDag(v2.file, v2.dir), /printed schema 'aether.dag\/v2', this extension reads aether.dag\/v1/);
  const bare = fakeAether(`process.stdout.write(JSON.stringify({schema: "aether.dag/v1"}))`);
  await assert.rejects(readDag(bare.file, bare.dir), /without nodes or edges/);
});

test("a hung CLI is stopped at the timeout", async () => {
  const { dir, file } = fakeAether(`setTimeout(() => {}, 10000)`);
  await assert.rejects(readDag(file, dir, { timeout: 300 }), /took longer than 0.3 s and was stopped/);
});

test("a hung CLI that ignores SIGTERM is still stopped at the timeout, and said so", async () => {
  const { dir, file } = fakeAether(`process.on("SIGTERM", () => {}); setTimeout(() => {}, 8000)`);
  const started = Date.now();
  await assert.rejects(readDag(file, dir, { timeout: 300 }), /took longer than 0.3 s and was stopped/);
  assert.ok(Date.now() - started < 4000, `stopped after ${Date.now() - started} ms`);
});

test("a failing CLI's last line reaches the notification without a URL's password, and cut short", async () => {
  const leak = fakeAether(`console.error("Traceback ..."); console.error("OperationalError: cannot connect to postgresql+psycopg://admin:S3cr3t@db:5432/x"); process.exit(1)`);
  await assert.rejects(readDag(leak.file, leak.dir), (error: Error) => {
    assert.strictEqual(error.message, "OperationalError: cannot connect to postgresql+psycopg://admin:***@db:5432/x");
    return true;
  });
  await assert.rejects(readProblems(leak.file, leak.dir), (error: Error) => !error.message.includes("S3cr3t"));
  const long = fakeAether(`console.error("error: " + "A".repeat(2000000)); process.exit(2)`);
  await assert.rejects(readDag(long.file, long.dir), (error: Error) => {
    assert.strictEqual(error.message.length, MAX_MESSAGE);
    assert.ok(error.message.startsWith("error: AAA") && error.message.endsWith("…"));
    return true;
  });
});

test("readProblems: exit 2 with problems is an answer, not a failure", async () => {
  const problem = { file: "conf/base/catalog.yml", line: 3, column: null, severity: "error", code: "catalog", message: "m", hint: null };
  const { dir, file } = fakeAether(
    `process.stdout.write(JSON.stringify({problems: [${JSON.stringify(problem)}], valid: false, argv: process.argv.slice(2)})); process.exit(2)`,
  );
  assert.deepStrictEqual(await readProblems(file, dir, { env: "dev" }), { problems: [problem], valid: false });
});

test("readProblems: a CLI that fails before validating gives its error line", async () => {
  const { dir, file } = fakeAether(`console.error("error: No Aether project here — run it in a folder with conf/base/"); process.exit(2)`);
  await assert.rejects(readProblems(file, dir), /No Aether project here/);
});

test("readProblems: JSON without a problems list is refused", async () => {
  const { dir, file } = fakeAether(`process.stdout.write("{}")`);
  await assert.rejects(readProblems(file, dir), /printed no problems list/);
});

test("the executable: the setting (a path from the project root), else the project's .venv, else PATH", () => {
  const root = tempDir();
  assert.strictEqual(defaultExecutable(root, ""), "aether");
  fs.mkdirSync(path.join(root, ".venv", "bin"), { recursive: true });
  fs.writeFileSync(path.join(root, ".venv", "bin", "aether"), "");
  assert.strictEqual(defaultExecutable(root, undefined), path.join(root, ".venv", "bin", "aether"));
  assert.strictEqual(defaultExecutable(root, "tools/aether"), path.join(root, "tools", "aether"));
  assert.strictEqual(defaultExecutable(root, "aether-dev"), "aether-dev");
});
