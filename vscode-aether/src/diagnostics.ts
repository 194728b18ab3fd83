// Problems from `aether validate --json` as diagnostics: one validate per project at a time,
// debounced after saves, every file's diagnostics replaced by the newest answer (so a fixed
// problem disappears). A failing CLI is one error message, not a crash.
import * as path from "node:path";
import * as vscode from "vscode";
import type { Problem, ValidateReport } from "./cli";

export type Validate = (root: string) => Promise<ValidateReport>;

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Where a problem with no file is shown: the project's pipeline, so it is not lost. */
export const FALLBACK_FILE = "conf/base/pipeline.yml";

export function toDiagnostic(problem: Problem): vscode.Diagnostic {
  const line = Math.max(0, (problem.line ?? 1) - 1);
  const column = Math.max(0, (problem.column ?? 1) - 1);
  // An empty range: VS Code underlines the word there (the CLI does not say where it ends).
  const range = new vscode.Range(line, column, line, column);
  const message = problem.hint ? `${problem.message} — ${problem.hint}` : problem.message;
  const diagnostic = new vscode.Diagnostic(range, message, SEVERITY[String(problem.severity).toLowerCase()] ?? vscode.DiagnosticSeverity.Error);
  diagnostic.source = "aether";
  if (problem.code) diagnostic.code = problem.code;
  return diagnostic;
}

/** The problems grouped by the absolute file they are in (files outside the root are not trusted). */
export function groupByFile(root: string, problems: Problem[]): Map<string, vscode.Diagnostic[]> {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const problem of problems) {
    const relative = problem.file && !path.isAbsolute(problem.file) && !problem.file.split(/[\\/]/).includes("..") ? problem.file : FALLBACK_FILE;
    const file = path.join(root, relative);
    byFile.set(file, [...(byFile.get(file) ?? []), toDiagnostic(problem)]);
  }
  return byFile;
}

interface ProjectState {
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  again: boolean;
  files: Set<string>;
  failed: string | undefined;
}

export class Validator implements vscode.Disposable {
  private readonly projects = new Map<string, ProjectState>();

  constructor(
    private readonly collection: vscode.DiagnosticCollection,
    private readonly validate: Validate,
    private readonly showError: (message: string) => void,
    private readonly delay = 300,
  ) {}

  private state(root: string): ProjectState {
    let state = this.projects.get(root);
    if (!state) {
      state = { timer: undefined, running: false, again: false, files: new Set(), failed: undefined };
      this.projects.set(root, state);
    }
    return state;
  }

  /** Validate the project soon: saves in a burst make one run. */
  schedule(root: string): void {
    const state = this.state(root);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.runNow(root);
    }, this.delay);
  }

  /** Validate now, or once more right after the run in progress (never two at once). */
  async runNow(root: string): Promise<void> {
    const state = this.state(root);
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    try {
      do {
        state.again = false;
        await this.once(root, state);
      } while (state.again);
    } finally {
      state.running = false;
    }
  }

  private async once(root: string, state: ProjectState): Promise<void> {
    let report: ValidateReport;
    try {
      report = await this.validate(root);
    } catch (error) {
      const message = `Aether: aether validate failed: ${(error as Error).message}`;
      // Once per distinct failure, not on every save.
      if (state.failed !== message) this.showError(message);
      state.failed = message;
      return;
    }
    state.failed = undefined;
    const byFile = groupByFile(root, report.problems);
    for (const file of state.files) if (!byFile.has(file)) this.collection.delete(vscode.Uri.file(file));
    for (const [file, diagnostics] of byFile) this.collection.set(vscode.Uri.file(file), diagnostics);
    state.files = new Set(byFile.keys());
  }

  dispose(): void {
    for (const state of this.projects.values()) if (state.timer) clearTimeout(state.timer);
    this.projects.clear();
  }
}
