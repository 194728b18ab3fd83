// Entry point: the aether TaskProvider and the DAG webview, both on top of the CLI.
const vscode = require("vscode");
const { taskProvider } = require("./tasks");
const { defaultExecutable } = require("./cli");
const { DagPanel } = require("./dagPanel");

function activate(context) {
  const root = () => (vscode.workspace.workspaceFolders || [])[0]?.uri.fsPath;
  const settings = () => vscode.workspace.getConfiguration("aether");
  const executable = () => defaultExecutable(root() || ".", settings().get("executable"));
  const panel = new DagPanel(vscode, context.extensionUri, () => ({
    executable: executable(),
    root: root(),
    env: settings().get("env") || undefined,
  }));
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider("aether", taskProvider(vscode, executable)),
    vscode.commands.registerCommand("aether.showDag", () => panel.show()),
    vscode.commands.registerCommand("aether.refreshDag", () => panel.refresh()),
    // conf/ or src/ saved: statuses and edges may have changed.
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (/[\\/](conf|src)[\\/]/.test(doc.uri.fsPath)) panel.refresh();
    }),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
