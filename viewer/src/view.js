// What is drawn: the DAG's nodes, some folded into groups. Everything here walks the graph
// with queues and loops, never recursion, so a 100,000-node chain is fine.
const NODE = { w: 170, h: 36 };
const GROUP = { w: 190, h: 44 };
const BANDS = 40;
const WORST = ["failed", "stale", "missing", "fresh"];

// id -> group key: by the nodes' own group (catalog domain/layer, dotted-name prefix)
// when that splits the graph, otherwise by bands of topological layers.
export function groupsOf(dag) {
  const named = dag.nodes.filter((n) => n.group);
  const distinct = new Set(named.map((n) => n.group));
  const keys = new Map();
  if (distinct.size >= 2 && named.length * 2 >= dag.nodes.length) {
    for (const n of dag.nodes) keys.set(n.id, n.group ? `group:${n.group}` : "group:(other)");
    return keys;
  }
  const rank = ranks(dag.nodes, dag.edges);
  let max = 0;
  for (const r of rank.values()) max = Math.max(max, r);
  const size = Math.max(1, Math.ceil((max + 1) / BANDS));
  for (const n of dag.nodes) {
    const band = Math.floor(rank.get(n.id) / size);
    const first = band * size;
    const last = Math.min(max, first + size - 1);
    keys.set(n.id, first === last ? `group:layer ${first}` : `group:layers ${first}-${last}`);
  }
  return keys;
}

export function ranks(nodes, edges) {
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!indegree.has(e.source) || !indegree.has(e.target) || e.source === e.target) continue;
    children.get(e.source).push(e.target);
    indegree.set(e.target, indegree.get(e.target) + 1);
  }
  const rank = new Map();
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) rank.set(id, 0);
  for (let head = 0; head < queue.length; head += 1) {
    const id = queue[head];
    for (const c of children.get(id)) {
      rank.set(c, Math.max(rank.get(c) || 0, rank.get(id) + 1));
      indegree.set(c, indegree.get(c) - 1);
      if (indegree.get(c) === 0) queue.push(c);
    }
  }
  for (const n of nodes) if (!rank.has(n.id)) rank.set(n.id, 0); // left in a cycle
  return rank;
}

export function neighbourhood(dag, start, depth) {
  const links = new Map(dag.nodes.map((n) => [n.id, []]));
  for (const e of dag.edges) {
    if (!links.has(e.source) || !links.has(e.target)) continue;
    links.get(e.source).push(e.target);
    links.get(e.target).push(e.source);
  }
  const kept = new Set([start]);
  let frontier = [start];
  for (let step = 0; step < depth && frontier.length; step += 1) {
    const next = [];
    for (const id of frontier) for (const n of links.get(id) || []) if (!kept.has(n)) { kept.add(n); next.push(n); }
    frontier = next;
  }
  return dag.nodes.filter((n) => kept.has(n.id));
}

export function buildView(nodes, edges, grouping, expanded) {
  const shown = new Set(nodes.map((n) => n.id));
  const as = new Map();
  const groups = new Map();
  for (const n of nodes) {
    const key = grouping ? grouping.get(n.id) : null;
    if (key && !expanded.has(key)) {
      as.set(n.id, key);
      const group = groups.get(key) || { id: key, label: key.slice(6), group: true, size: 0, status: "fresh", ...GROUP };
      group.size += 1;
      if (n.status && WORST.indexOf(n.status) < WORST.indexOf(group.status)) group.status = n.status;
      groups.set(key, group);
    } else {
      as.set(n.id, n.id);
    }
  }
  const viewNodes = [];
  for (const n of nodes) if (as.get(n.id) === n.id) viewNodes.push({ id: n.id, label: n.name, ...NODE });
  for (const g of groups.values()) {
    // A group of one is just that node.
    viewNodes.push(g);
  }
  viewNodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const seen = new Set();
  const viewEdges = [];
  for (const e of edges) {
    if (!shown.has(e.source) || !shown.has(e.target)) continue;
    const source = as.get(e.source);
    const target = as.get(e.target);
    const key = `${source}>${target}`;
    if (source === target || seen.has(key)) continue;
    seen.add(key);
    viewEdges.push({ source, target });
  }
  viewEdges.sort((a, b) => (a.source + ">" + a.target < b.source + ">" + b.target ? -1 : 1));
  return { nodes: viewNodes, edges: viewEdges };
}
