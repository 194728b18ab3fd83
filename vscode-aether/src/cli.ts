// The CLI bridge: `aether viz --format json` and `aether validate --json`, run without a shell
// and with a timeout. Every failure becomes one CliError whose message says what to do.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Dag } from "./dag";

export const SCHEMA = "aether.dag/v1";

export class CliError extends Error {}

export interface CliOptions {
  env?: string | undefined;
  pipeline?: string | undefined;
  timeout?: number;
}

/** The configured executable (relative paths from the project root), else the project's .venv, else PATH. */
export function defaultExecutable(root: string, configured?: string | null): string {
  if (configured) return configured.includes("/") || configured.includes("\\") ? path.resolve(root, configured) : configured;
  const venv = path.join(root, ".venv", process.platform === "win32" ? "Scripts/aether.exe" : "bin/aether");
  return fs.existsSync(venv) ? venv : "aether";
}

interface Completed {
  stdout: string;
  stderr: string;
  code: number;
}

function run(executable: string, argv: string[], root: string, timeout: number): Promise<Completed> {
  return new Promise((resolve, reject) => {
    // SIGKILL: a CLI that ignores SIGTERM would otherwise hold the editor until it exits, and
    // then read as a success with no output. viz and validate only read, so nothing is lost.
    const options = { cwd: root, timeout, killSignal: "SIGKILL" as const, maxBuffer: 256 * 1024 * 1024 };
    execFile(executable, argv, options, (error, stdout, stderr) => {
      const failure = error as (NodeJS.ErrnoException & { killed?: boolean }) | null;
      if (failure && (failure.code === "ENOENT" || failure.code === "EACCES")) {
        reject(new CliError(`the aether executable '${executable}' cannot be run (${failure.code}): set aether.executable, or run \`make install\` in the project`));
      } else if (failure && failure.killed) {
        reject(new CliError(`aether ${argv[0]} took longer than ${timeout / 1000} s and was stopped`));
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr), code: failure ? Number(failure.code ?? 1) : 0 });
      }
    });
  });
}

/** Longest CLI line shown in a notification: past it, the line is cut (a notification is one line). */
export const MAX_MESSAGE = 500;

/**
 * The last line of the CLI's stderr, fit for a notification: the password of any
 * `scheme://user:password@host` hidden (a traceback's last line may carry a connection URL),
 * and cut to MAX_MESSAGE characters.
 */
export function lastLine(text: string): string {
  const line = (text.trim().split("\n").pop() ?? "").trim().replace(/(\w[\w+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/g, "$1***@");
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

function parseJson(done: Completed, command: string): unknown {
  try {
    return JSON.parse(done.stdout);
  } catch {
    // The CLI prints its one-line error on stderr and nothing on stdout: that line is the news.
    const said = lastLine(done.stderr);
    if (done.code !== 0 && said) throw new CliError(said);
    throw new CliError(`${command} did not print JSON: is the aether.executable setting an Aether CLI?`);
  }
}

function commonArgs(options: CliOptions): string[] {
  const argv: string[] = [];
  if (options.env) argv.push("--env", options.env);
  return argv;
}

export async function readDag(executable: string, root: string, options: CliOptions = {}): Promise<Dag> {
  const argv = ["viz", "--format", "json", ...commonArgs(options)];
  if (options.pipeline) argv.push("--pipeline", options.pipeline);
  const done = await run(executable, argv, root, options.timeout ?? 60000);
  if (done.code !== 0) throw new CliError(lastLine(done.stderr) || `aether viz failed (exit ${done.code})`);
  const dag = parseJson(done, "aether viz") as Partial<Dag> | null;
  if (!dag || typeof dag !== "object" || dag.schema !== SCHEMA) {
    const found = dag && typeof dag === "object" ? String(dag.schema) : typeof dag;
    throw new CliError(`aether viz printed schema '${found}', this extension reads ${SCHEMA}: update the extension or aether-data`);
  }
  if (!Array.isArray(dag.nodes) || !Array.isArray(dag.edges)) throw new CliError("aether viz printed a DAG without nodes or edges");
  return dag as Dag;
}

export interface Problem {
  file: string | null;
  line: number | null;
  column: number | null;
  severity: string;
  code: string | null;
  message: string;
  hint: string | null;
}

export interface ValidateReport {
  problems: Problem[];
  valid: boolean;
}

/** `aether validate --json`: exit 2 with problems is an answer, not a failure. */
export async function readProblems(executable: string, root: string, options: CliOptions = {}): Promise<ValidateReport> {
  const done = await run(executable, ["validate", "--json", ...commonArgs(options)], root, options.timeout ?? 60000);
  const report = parseJson(done, "aether validate --json") as Partial<ValidateReport> | null;
  if (!report || typeof report !== "object" || !Array.isArray(report.problems)) {
    throw new CliError("aether validate --json printed no problems list: update aether-data (validate --json is needed)");
  }
  return { problems: report.problems, valid: Boolean(report.valid) };
}
