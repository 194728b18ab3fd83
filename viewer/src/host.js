// Where the viewer runs: an HTML page, or a VS Code webview. In a webview the page may only
// call acquireVsCodeApi() once; everything the viewer says to the extension goes through here.
// Messages out: {type: "open", location: "path:line"}. State kept across a webview rebuild:
// what getState()/setState() hold (see main.js: viewport, selection, filters).

export function connect() {
  const api = typeof acquireVsCodeApi === "function" ? acquireVsCodeApi() : null;
  let timer = null;
  return {
    inEditor: api !== null,
    open(location) {
      if (api && location) api.postMessage({ type: "open", location });
    },
    saved() {
      if (!api) return null;
      try {
        return api.getState() || null;
      } catch (error) {
        return null;
      }
    },
    // Pan and zoom fire many events: store the last state once they pause.
    save(value, later) {
      if (!api) return;
      clearTimeout(timer);
      if (later) timer = setTimeout(() => api.setState(value), 150);
      else api.setState(value);
    },
  };
}
