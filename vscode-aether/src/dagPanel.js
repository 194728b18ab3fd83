// The DAG webview: the same viewer bundle as `aether viz --format html`, under a CSP that
// only runs scripts carrying this page's nonce.
const crypto = require("node:crypto");
const { readDag } = require("./cli");

function nonce() {
  return crypto.randomBytes(16).toString("base64");
}

function pageHtml(dag, viewerUri, cspSource, token) {
  const data = JSON.stringify(dag).replace(/</g, "\\u003c");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource}; style-src 'unsafe-inline'; script-src 'nonce-${token}';">
</head><body data-ready="false">
<script type="application/json" id="aether-dag">${data}</script>
<script nonce="${token}" src="${viewerUri}"></script>
</body></html>`;
}

class DagPanel {
  constructor(vscode, extensionUri, options) {
    this.vscode = vscode;
    this.extensionUri = extensionUri;
    this.options = options;
    this.panel = null;
  }

  show() {
    if (!this.panel) {
      this.panel = this.vscode.window.createWebviewPanel("aetherDag", "Aether DAG", this.vscode.ViewColumn.Beside, {
        enableScripts: true,
        localResourceRoots: [this.vscode.Uri.joinPath(this.extensionUri, "media")],
      });
      this.panel.onDidDispose(() => (this.panel = null));
    }
    return this.refresh();
  }

  async refresh() {
    if (!this.panel) return;
    const { executable, root, env } = this.options();
    try {
      const dag = await readDag(executable, root, { env });
      const webview = this.panel.webview;
      const viewer = webview.asWebviewUri(this.vscode.Uri.joinPath(this.extensionUri, "media", "viewer.js"));
      webview.html = pageHtml(dag, viewer, webview.cspSource, nonce());
    } catch (error) {
      this.vscode.window.showErrorMessage(`Aether: ${error.message}`);
    }
  }
}

module.exports = { DagPanel, pageHtml };
