// The Aether DAG viewer: reads the aether.dag/v1 JSON in #aether-dag and draws it.
// Contract for tests and tools: body[data-ready="true"] once drawn; every drawn node or
// collapsed group is an element with data-id. The layout runs in a Worker made from this
// same script (a Blob URL, which also works from file://).
import { layout } from "./layout.js";
import { buildView, groupsOf, neighbourhood } from "./view.js";
import { clearDetails, showDetails } from "./details.js";
import { connect } from "./host.js";

const COLLAPSE_ABOVE = 300;
const SEARCH_PAUSE_MS = 150;
const NS = "http://www.w3.org/2000/svg";


function start(source) {
  const host = connect(); // acquireVsCodeApi() is called here, once
  let dag = JSON.parse(document.getElementById("aether-dag").textContent);
  let byId = new Map(dag.nodes.map((n) => [n.id, n]));
  let grouping = groupsOf(dag);
  const state = {
    expanded: new Set(),
    collapsed: dag.nodes.length > COLLAPSE_ABOVE,
    focus: null,
    tag: "",
    search: "",
    selected: null,
  };
  let transform = { x: 20, y: 20, k: 1 };
  restore(host.saved());
  const ui = scaffold(dag, host.inEditor);
  fillTags();
  ui.search.value = state.search;
  let worker = makeWorker(source);
  if (worker) {
    // A CSP may refuse blob: workers only once it starts: lay out on the page instead.
    worker.onerror = () => {
      worker = null;
      redraw();
    };
  }
  let seq = 0;
  const labels = new Map(); // drawn node id -> its label in lower case, for search
  const drawn = new Map(); // drawn node id -> its element

  // A webview hidden then shown is rebuilt: it comes back where the user left it.
  function restore(saved) {
    if (!saved || typeof saved !== "object") return;
    const v = saved.viewport;
    if (v && [v.x, v.y, v.k].every(Number.isFinite) && v.k > 0) transform = { x: v.x, y: v.y, k: v.k };
    if (typeof saved.selected === "string") state.selected = saved.selected;
    if (typeof saved.focus === "string") state.focus = saved.focus;
    if (typeof saved.search === "string") state.search = saved.search;
    if (typeof saved.tag === "string") state.tag = saved.tag;
    if (typeof saved.collapsed === "boolean") state.collapsed = saved.collapsed;
    if (Array.isArray(saved.expanded)) state.expanded = new Set(saved.expanded.filter((k) => typeof k === "string"));
    keepWhatExists();
  }

  // After a new DAG (or a restored state): forget what names nodes, tags or groups gone.
  function keepWhatExists() {
    if (state.selected && !byId.has(state.selected)) state.selected = null;
    if (state.focus && !byId.has(state.focus)) state.focus = null;
    if (state.tag && !dag.nodes.some((n) => (n.tags || []).includes(state.tag))) state.tag = "";
    const keys = new Set(grouping.values());
    state.expanded = new Set([...state.expanded].filter((k) => keys.has(k)));
  }

  function persist(later) {
    host.save({
      viewport: transform,
      selected: state.selected,
      focus: state.focus,
      search: state.search,
      tag: state.tag,
      collapsed: state.collapsed,
      expanded: [...state.expanded],
    }, later);
  }

  function fillTags() {
    const tags = [...new Set(dag.nodes.flatMap((n) => n.tags || []))].sort();
    ui.tag.length = 1; // keep "all tags"
    for (const name of tags) {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      ui.tag.appendChild(option);
    }
    ui.tag.value = state.tag;
  }

  function redraw() {
    document.body.dataset.ready = "false";
    ui.status.textContent = "Laying out…";
    let nodes = dag.nodes;
    if (state.focus) nodes = neighbourhood(dag, state.focus, 2);
    if (state.tag) nodes = nodes.filter((n) => (n.tags || []).includes(state.tag));
    const view = buildView(nodes, dag.edges, state.collapsed ? grouping : null, state.expanded);
    const mine = (seq += 1);
    const done = (result) => {
      if (result.seq !== undefined && result.seq !== mine) return;
      draw(view, result);
    };
    if (worker) {
      worker.onmessage = (event) => done(event.data);
      worker.postMessage({ seq: mine, view: { nodes: view.nodes, edges: view.edges } });
    } else {
      done(layout(view));
    }
  }

  // Only the hits change class; the rest are dimmed by one class on the scene (a class
  // toggled on each of 100,000 nodes cost a minute of style work).
  function markSearch() {
    const needle = state.search.toLowerCase();
    for (const g of ui.scene.querySelectorAll("g.node.hit")) g.classList.remove("hit");
    if (needle) {
      for (const [id, label] of labels) if (label.includes(needle)) drawn.get(id).classList.add("hit");
    }
    ui.scene.classList.toggle("searching", Boolean(needle));
    document.body.dataset.search = state.search; // for tests: the search now shown
  }

  function draw(view, result) {
    const scene = ui.scene;
    scene.textContent = "";
    const edgeLayer = svg("g", { class: "edges" });
    scene.appendChild(edgeLayer);
    for (const e of view.edges) {
      const a = result.positions[e.source];
      const b = result.positions[e.target];
      if (!a || !b) continue;
      const points = result.edges[`${e.source}>${e.target}`] || [a, b];
      const d = "M" + points.map((p) => `${p[0]},${p[1]}`).join("L");
      edgeLayer.appendChild(svg("path", { d, class: "edge" }));
    }
    labels.clear();
    drawn.clear();
    ui.scene.classList.toggle("searching", Boolean(state.search));
    document.body.dataset.search = state.search;
    const needle = state.search.toLowerCase();
    for (const n of view.nodes) {
      labels.set(n.id, n.label.toLowerCase());
      const [x, y] = result.positions[n.id];
      const data = byId.get(n.id);
      const kind = n.group ? "group" : data.kind;
      const status = n.group ? n.status || "plain" : data.status || (data.kind === "param" ? "param" : "plain");
      const hit = needle && n.label.toLowerCase().includes(needle);
      const classes = ["node", kind, status];
      if (hit) classes.push("hit");
      if (state.selected === n.id) classes.push("selected");
      const g = svg("g", { class: classes.join(" "), transform: `translate(${x},${y})`, "data-id": n.id });
      drawn.set(n.id, g);
      g.appendChild(svg("rect", { x: -n.w / 2, y: -n.h / 2, width: n.w, height: n.h }));
      const text = svg("text", { "text-anchor": "middle", dy: "0.35em" });
      text.textContent = n.label.length > 26 ? n.label.slice(0, 25) + "…" : n.label;
      g.appendChild(text);
      const title = svg("title", {});
      title.textContent = n.group
        ? `${n.label}: ${n.size} nodes (click to expand)`
        : `${data.name}${data.status ? ` — ${data.status}` : ""}${data.reason ? `: ${data.reason}` : ""}`;
      g.appendChild(title);
      g.addEventListener("click", (event) => {
        event.stopPropagation();
        if (n.group) {
          state.expanded.add(n.id);
          persist();
          redraw();
        } else {
          select(n.id);
        }
      });
      // In VS Code a double-click opens where the node is defined.
      if (!n.group) g.addEventListener("dblclick", () => host.open(data.location));
      scene.appendChild(g);
    }
    applyTransform();
    const shown = view.nodes.length;
    ui.status.textContent = `${shown} shown of ${dag.nodes.length} nodes`;
    document.body.dataset.ready = "true";
  }

  function select(id) {
    state.selected = id;
    for (const el of ui.scene.querySelectorAll(".node.selected")) el.classList.remove("selected");
    const el = ui.scene.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (el) el.classList.add("selected");
    showSelection();
    persist();
  }

  function showSelection() {
    if (!state.selected) {
      clearDetails(ui, dag);
      return;
    }
    showDetails(ui, byId.get(state.selected), host, () => {
      state.focus = state.selected;
      state.expanded.clear();
      state.collapsed = false;
      persist();
      redraw();
    });
  }

  function applyTransform() {
    ui.scene.setAttribute("transform", `translate(${transform.x},${transform.y}) scale(${transform.k})`);
  }

  // Pan by dragging, zoom with the wheel around the pointer.
  let drag = null;
  ui.canvas.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX - transform.x, y: e.clientY - transform.y };
  });
  window.addEventListener("pointerup", () => {
    if (drag) persist();
    drag = null;
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    transform = { ...transform, x: e.clientX - drag.x, y: e.clientY - drag.y };
    applyTransform();
  });
  ui.canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const k = Math.min(4, Math.max(0.05, transform.k * Math.exp(-e.deltaY / 500)));
    const rect = ui.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    transform = { k, x: px - ((px - transform.x) * k) / transform.k, y: py - ((py - transform.y) * k) / transform.k };
    applyTransform();
    persist(true);
  }, { passive: false });

  // A search only marks nodes: no new layout, and at most one pass per pause in typing
  // (a redraw per keystroke took 16 s on a 100,000-node chain).
  let searching = null;
  ui.search.addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(() => {
      state.search = ui.search.value.trim();
      persist();
      markSearch();
    }, SEARCH_PAUSE_MS);
  });
  ui.tag.addEventListener("change", () => {
    state.tag = ui.tag.value;
    persist();
    redraw();
  });
  ui.collapse.addEventListener("click", () => {
    state.collapsed = !state.collapsed;
    state.expanded.clear();
    persist();
    redraw();
  });
  ui.reset.addEventListener("click", () => {
    Object.assign(state, { focus: null, tag: "", search: "" });
    ui.search.value = "";
    ui.tag.value = "";
    persist();
    redraw();
  });

  // {type: "update", dag}: the extension's new DAG (after a save). Same layout for the same
  // graph, and the viewport untouched: nothing moves unless the graph did.
  window.addEventListener("message", (event) => {
    const message = event.data;
    if (!message || message.type !== "update") return;
    const next = message.dag;
    if (!wellFormed(next)) {
      ui.status.textContent = "Ignored an update that is not an aether.dag/v1 DAG";
      return;
    }
    dag = next;
    byId = new Map(dag.nodes.map((n) => [n.id, n]));
    grouping = groupsOf(dag);
    keepWhatExists();
    fillTags();
    showSelection();
    persist();
    redraw();
  });
  showSelection();
  redraw();
}

// An update is drawn only if every node and edge has the fields the viewer reads: a
// malformed one would stop the page half-way, with the new DAG and the old index.
function wellFormed(dag) {
  return (
    Boolean(dag) && dag.schema === "aether.dag/v1" && Array.isArray(dag.nodes) && Array.isArray(dag.edges) &&
    dag.nodes.every((n) => n !== null && typeof n === "object" && typeof n.id === "string" && typeof n.kind === "string" && typeof n.name === "string") &&
    dag.edges.every((e) => e !== null && typeof e === "object" && typeof e.source === "string" && typeof e.target === "string")
  );
}

function makeWorker(source) {
  if (!source || typeof Worker === "undefined" || typeof Blob === "undefined") return null;
  try {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    return new Worker(url);
  } catch (error) {
    return null; // a CSP without blob: workers: lay out on the page instead
  }
}

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

function scaffold(dag, inEditor) {
  const style = document.createElement("style");
  style.textContent = CSS_TEXT;
  document.head.appendChild(style);
  document.body.insertAdjacentHTML(
    "beforeend",
    `<div id="main"><div id="bar"><input id="search" type="search" placeholder="Search nodes">
<select id="tag"><option value="">all tags</option></select>
<button id="collapse" type="button">Collapse / expand groups</button>
<button id="reset" type="button">Show all</button><span id="status"></span></div>
<svg id="canvas" role="img" aria-label="pipeline graph"><g id="scene"></g></svg></div>
<aside id="side"><h1 id="title"></h1>
<p class="legend"><span class="fresh">fresh</span> <span class="stale">stale</span> <span class="missing">missing</span> <span class="failed">failed</span> — drag to pan, wheel to zoom, click for details${inEditor ? ", double-click to open" : ""}.</p>
<dl id="details"></dl></aside>`,
  );
  const tag = document.getElementById("tag");
  document.getElementById("title").textContent = `Pipeline: ${dag.pipeline}`;
  return {
    canvas: document.getElementById("canvas"),
    scene: document.getElementById("scene"),
    search: document.getElementById("search"),
    tag,
    collapse: document.getElementById("collapse"),
    reset: document.getElementById("reset"),
    status: document.getElementById("status"),
    details: document.getElementById("details"),
    title: document.getElementById("title"),
  };
}

const CSS_TEXT = `
:root{font:14px system-ui,sans-serif;color:#202124}
body{margin:0;display:flex;height:100vh;overflow:hidden}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{display:flex;gap:8px;align-items:center;padding:6px 8px;border-bottom:1px solid #dadce0}
#status{color:#5f6368;margin-left:auto}
#canvas{flex:1;cursor:grab;background:#fafafa;width:100%}
#side{width:320px;border-left:1px solid #dadce0;padding:12px 16px;overflow:auto}
#side h1{font-size:16px;margin:0 0 8px;word-break:break-word}
#side dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0}
#side dt{color:#5f6368}#side dd{margin:0;word-break:break-word}
#side button{grid-column:1/3;margin-top:8px;justify-self:start}
.node rect{stroke-width:1.5;rx:6}.node.task rect{rx:18}.node.group rect{stroke-dasharray:4 2}
.node text{font-size:12px;pointer-events:none}
.node{cursor:pointer}.node.selected rect{stroke-width:3.5}.node.hit rect{stroke-width:3}.searching .node:not(.hit) rect,.searching .node:not(.hit) text{fill-opacity:.3;stroke-opacity:.3}
.edge{stroke:#9aa0a6;fill:none}
.fresh rect{fill:#e6f4ea;stroke:#1e8e3e}.stale rect{fill:#fef7e0;stroke:#e37400}
.missing rect{fill:#f3e8fd;stroke:#9334e6}.failed rect{fill:#fce8e6;stroke:#d93025}
.plain rect{fill:#fff;stroke:#5f6368}.param rect{fill:#f1f3f4;stroke:#80868b}
.checks{list-style:none;margin:0;padding:0}.checks li{margin-bottom:4px}
.checks .mark{display:inline-block;width:1.2em;font-weight:bold}.checks .message{color:#5f6368;margin-left:1.2em}
[data-result=passed] .mark{color:#1e8e3e}[data-result=failed] .mark{color:#d93025}[data-result=never] .mark{color:#80868b}
.legend .fresh{color:#1e8e3e}.legend .stale{color:#e37400}.legend .missing{color:#9334e6}.legend .failed{color:#d93025}
`;

// Last, so every constant above is initialised: in a Worker this script only lays out.
if (typeof document === "undefined") {
  self.onmessage = (event) => self.postMessage({ seq: event.data.seq, ...layout(event.data.view) });
} else {
  start(document.currentScript && document.currentScript.textContent);
}
