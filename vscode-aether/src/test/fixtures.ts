// Paths and copies of test/fixtures (the compiled tests run from out/test/).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Dag } from "../dag";

export const PACKAGE = path.resolve(__dirname, "..", "..");
export const FIXTURES = path.join(PACKAGE, "test", "fixtures");
export const PROJECT = path.join(FIXTURES, "project");

export function fixtureDag(): Dag {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, "dag.json"), "utf8")) as Dag;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "aether-ext-"));
}

/** A copy of the test project in a fresh temporary folder. */
export function projectCopy(): string {
  const root = path.join(tempDir(), "project");
  fs.cpSync(PROJECT, root, { recursive: true });
  return root;
}

/** A stand-in `aether` executable: a Node script with this body. */
export function fakeAether(body: string): { dir: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, "aether");
  fs.writeFileSync(file, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
  return { dir, file };
}
