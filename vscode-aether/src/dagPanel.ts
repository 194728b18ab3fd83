// The DAG webview: the viewer bundle of `aether viz --format html` under a CSP that runs only
// scripts carrying this page's nonce. A refresh posts the new DAG to the open page (the viewer
// redraws and keeps its viewport); a click on a node opens its code, inside the project only.
// `vscode` is passed in rather than imported, so `pageHtml` loads in plain Node (browser tests).
import * as crypto from "node:crypto";
import type * as vscodeApi from "vscode";
import type { Dag } from "./dag";
import { resolveInside, type ResolvedLocation } from "./locations";

type Vscode = typeof vscodeApi;

export function nonce(): string {
  return crypto.randomBytes(16).toString("base64");
}

export function pageHtml(dag: unknown, viewerUri: string, cspSource: string, token: string): string {
  // "<" escaped: no "</script>" in the data can end the element early.
  const data = JSON.stringify(dag).replace(/</g, "\\u003c");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource}; style-src 'unsafe-inline'; script-src 'nonce-${token}';">
</head><body data-ready="false">
<script type="application/json" id="aether-dag">${data}</script>
<script nonce="${token}" src="${viewerUri}"></script>
</body></html>`;
}

/** An `open` message from the page, checked: a location inside the project root, else undefined. */
export function openTarget(root: string, message: unknown): ResolvedLocation | undefined {
  if (!message || typeof message !== "object") return undefined;
  const { type, location } = message as { type?: unknown; location?: unknown };
  return type === "open" ? resolveInside(root, location) : undefined;
}

export interface PanelOptions {
  root: string | undefined;
  readDag: (root: string) => Promise<Dag>;
}

export class DagPanel {
  private panel: vscodeApi.WebviewPanel | undefined;
  /** The project the open page draws: its `open` messages resolve inside it, refreshes read it. */
  private root: string | undefined;

  constructor(
    private readonly vscode: Vscode,
    private readonly extensionUri: vscodeApi.Uri,
    private readonly options: () => PanelOptions,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Show the DAG of the project `options().root` names: the open page, or a new one. */
  async show(): Promise<void> {
    const { root, readDag } = this.options();
    if (this.panel && root === this.root) {
      this.panel.reveal();
      return this.refresh();
    }
    if (!root) {
      void this.vscode.window.showErrorMessage("Aether: open a folder with conf/base/pipeline.yml to see its DAG");
      return;
    }
    let dag: Dag;
    try {
      dag = await readDag(root);
    } catch (error) {
      void this.vscode.window.showErrorMessage(`Aether: ${(error as Error).message}`);
      return;
    }
    const media = this.vscode.Uri.joinPath(this.extensionUri, "media");
    let panel = this.panel;
    if (panel) {
      panel.reveal();
    } else {
      panel = this.vscode.window.createWebviewPanel("aetherDag", "Aether DAG", this.vscode.ViewColumn.Beside, {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [media],
      });
      this.panel = panel;
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.root = undefined;
      });
      panel.webview.onDidReceiveMessage((message: unknown) => (this.root ? this.open(this.root, message) : undefined));
    }
    // Another project than the page draws: a new page (its viewport belongs to the other DAG).
    this.root = root;
    const viewer = panel.webview.asWebviewUri(this.vscode.Uri.joinPath(media, "viewer.js"));
    panel.webview.html = pageHtml(dag, viewer.toString(), panel.webview.cspSource, nonce());
  }

  /** Post the new DAG of the page's project to it (no reload: the viewer keeps its viewport). */
  async refresh(): Promise<void> {
    const panel = this.panel;
    const root = this.root;
    const { readDag } = this.options();
    if (!panel || !root) return;
    try {
      const dag = await readDag(root);
      await panel.webview.postMessage({ type: "update", dag });
    } catch (error) {
      void this.vscode.window.showErrorMessage(`Aether: ${(error as Error).message}`);
    }
  }

  private async open(root: string, message: unknown): Promise<void> {
    if (!message || (message as { type?: unknown }).type !== "open") return;
    const target = openTarget(root, message);
    if (!target) {
      // The page is not trusted: what it sent is echoed as one short line, never whole.
      const said = JSON.stringify((message as { location?: unknown }).location) ?? "undefined";
      const shown = typeof (message as { location?: unknown }).location === "string" ? said.slice(1, -1) : said;
      const brief = shown.length > 120 ? `${shown.slice(0, 119)}…` : shown;
      void this.vscode.window.showWarningMessage(`Aether: not opening '${brief}': not a file inside the project`);
      return;
    }
    const line = Math.max(0, (target.line ?? 1) - 1);
    const position = new this.vscode.Position(line, 0);
    try {
      await this.vscode.window.showTextDocument(this.vscode.Uri.file(target.file), {
        viewColumn: this.vscode.ViewColumn.One,
        selection: new this.vscode.Range(position, position),
      });
    } catch (error) {
      void this.vscode.window.showErrorMessage(`Aether: cannot open ${target.file}: ${(error as Error).message}`);
    }
  }
}
