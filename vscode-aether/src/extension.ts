// Entry point: tasks, the DAG webview, language features and diagnostics, all on the CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { defaultExecutable, readDag, readProblems } from "./cli";
import { DagCache } from "./dagCache";
import { DagPanel } from "./dagPanel";
import { Validator } from "./diagnostics";
import { completionProvider, definitionProvider, hoverProvider, SELECTOR } from "./language";
import { affectsDag, isConfYaml, projectRootOf } from "./project";
import { taskProvider } from "./tasks";

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("aether");
}

function env(): string | undefined {
  return settings().get<string>("env") || undefined;
}

function executableFor(root: string): string {
  return defaultExecutable(root, settings().get<string>("executable"));
}

/** The main project: the first workspace folder holding conf/base/pipeline.yml, else the first folder. */
function mainFolder(): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.find((folder) => fs.existsSync(path.join(folder.uri.fsPath, "conf", "base", "pipeline.yml"))) ?? folders[0];
}

/** The project of the offered tasks, and of the DAG view when no project file is being edited. */
function mainRoot(): string | undefined {
  return mainFolder()?.uri.fsPath;
}

/** The project of the file being edited (a workspace may hold several), else the main one. */
function activeRoot(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  const root = editor && editor.document.uri.scheme === "file" ? projectRootOf(editor.document.uri.fsPath) : undefined;
  return root && fs.existsSync(path.join(root, "conf", "base", "pipeline.yml")) ? root : mainRoot();
}

export function activate(context: vscode.ExtensionContext): void {
  const cache = new DagCache(
    (root) => readDag(executableFor(root), root, { env: env() }),
    (message) => void vscode.window.showErrorMessage(`Aether: ${message}`),
  );
  const panel = new DagPanel(vscode, context.extensionUri, () => ({
    root: activeRoot(),
    readDag: async (root) => (await cache.load(root)).dag,
  }));
  const diagnostics = vscode.languages.createDiagnosticCollection("aether");
  const validator = new Validator(
    diagnostics,
    (root) => readProblems(executableFor(root), root, { env: env() }),
    (message) => void vscode.window.showErrorMessage(message),
  );
  const dagFor = (root: string) => cache.get(root);
  const validateIfConf = (document: vscode.TextDocument) => {
    const root = projectRootOf(document.uri.fsPath);
    if (root && document.uri.scheme === "file" && isConfYaml(document.uri.fsPath)) validator.schedule(root);
  };

  context.subscriptions.push(
    diagnostics,
    validator,
    vscode.tasks.registerTaskProvider("aether", taskProvider({
      executable: (root) => executableFor(root ?? mainRoot() ?? "."),
      env,
      folder: mainFolder,
    })),
    vscode.commands.registerCommand("aether.showDag", () => panel.show()),
    vscode.commands.registerCommand("aether.refreshDag", () => {
      cache.invalidate();
      return panel.refresh();
    }),
    vscode.languages.registerDefinitionProvider(SELECTOR, definitionProvider(dagFor)),
    vscode.languages.registerCompletionItemProvider(SELECTOR, completionProvider(dagFor), ":", ".", " "),
    vscode.languages.registerHoverProvider(SELECTOR, hoverProvider(dagFor)),
    vscode.workspace.onDidOpenTextDocument(validateIfConf),
    vscode.workspace.onDidSaveTextDocument((document) => {
      validateIfConf(document);
      // conf/ or src/ saved: names, edges and statuses may have changed.
      if (affectsDag(document.uri.fsPath)) {
        cache.invalidate();
        if (panel.isOpen) void panel.refresh();
      }
    }),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration("aether")) cache.invalidate();
    }),
  );
  vscode.workspace.textDocuments.forEach(validateIfConf);
}

export function deactivate(): void {}
