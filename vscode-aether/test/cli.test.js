const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
require("./vscode-mock");
const { readDag } = require("../src/cli");
const { pageHtml } = require("../src/dagPanel");

// A stand-in `aether` executable: prints what $FAKE_AETHER says, or fails like the CLI does.
function fakeAether(body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aether-"));
  const file = path.join(dir, "aether");
  fs.writeFileSync(file, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
  return { dir, file };
}

test("readDag runs `aether viz --format json` and checks the schema", async () => {
  const { dir, file } = fakeAether(
    `process.stdout.write(JSON.stringify({schema: "aether.dag/v1", pipeline: "p", argv: process.argv.slice(2), nodes: [], edges: []}))`,
  );
  const dag = await readDag(file, dir, { env: "prod" });
  assert.deepStrictEqual(dag.argv, ["viz", "--format", "json", "--env", "prod"]);
});

test("a CLI error comes back as its one-line message", async () => {
  const { dir, file } = fakeAether(`console.error("error: Unknown pipeline 'x' — did you mean 'y'?"); process.exit(2)`);
  await assert.rejects(readDag(file, dir), /Unknown pipeline 'x'/);
});

test("another schema version is refused", async () => {
  const { dir, file } = fakeAether(`process.stdout.write(JSON.stringify({schema: "aether.dag/v2"}))`);
  await assert.rejects(readDag(file, dir), /reads aether.dag\/v1/);
});

test("the webview page runs only nonce'd scripts and escapes the data", () => {
  const html = pageHtml({ nodes: [{ name: "</script><script>x()</script>" }] }, "vscode-resource:/viewer.js", "vscode-resource:", "abc");
  assert.match(html, /script-src 'nonce-abc'/);
  assert.match(html, /<script nonce="abc" src="vscode-resource:\/viewer.js"><\/script>/);
  assert.ok(!html.includes("</script><script>x()"));
});
