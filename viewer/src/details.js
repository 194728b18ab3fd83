// The details panel: what the DAG JSON says of the selected node, its checks' last results,
// and (in VS Code only) buttons that ask the editor to open where it is defined. Text only:
// every value goes through textContent, never markup.

const FIELDS = [
  ["kind", "Kind"], ["type", "Type"], ["status", "Status"], ["reason", "Reason"],
  ["filepath", "Filepath"], ["owner", "Owner"], ["checks", "Checks"], ["location", "Defined in"],
  ["location_in_pipeline", "In pipeline"], ["last_run", "Last run"], ["group", "Group"],
  ["tags", "Tags"], ["description", "Description"],
];
const MARKS = { passed: "✓", failed: "✗", never: "○" };

export function showDetails(ui, node, host, onFocus) {
  ui.title.textContent = node.name;
  ui.details.textContent = "";
  const results = node.check_results || [];
  for (const [key, label] of FIELDS) {
    let value = node[key];
    if (key === "checks" && results.length) {
      ui.details.append(...row(label, checkList(results), "check_results"));
      continue;
    }
    if (Array.isArray(value)) value = value.join(", ");
    if (value === undefined || value === null || value === "") continue;
    ui.details.append(...row(label, String(value), key));
  }
  if (host.inEditor) {
    if (node.location) ui.details.append(button("open", "Open", () => host.open(node.location)));
    if (node.location_in_pipeline) {
      const open = () => host.open(node.location_in_pipeline);
      ui.details.append(button("open-pipeline", "Open in pipeline.yml", open));
    }
  }
  ui.details.append(button("focus", "Focus on its neighbourhood", onFocus));
}

export function clearDetails(ui, dag) {
  ui.title.textContent = `Pipeline: ${dag.pipeline}`;
  ui.details.textContent = "";
}

function row(label, value, field) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  if (typeof value === "string") dd.textContent = value;
  else dd.appendChild(value);
  dd.dataset.field = field;
  return [dt, dd];
}

// One line per check: a mark (passed, failed, never run as configured now), its name, its
// severity when it only warns, and the last message with when it was checked.
function checkList(results) {
  const list = document.createElement("ul");
  list.className = "checks";
  for (const check of results) {
    const result = check.passed === true ? "passed" : check.passed === false ? "failed" : "never";
    const item = document.createElement("li");
    item.dataset.result = result;
    item.dataset.check = check.name;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.textContent = MARKS[result];
    mark.title = result === "never" ? "never run" : result;
    const name = document.createElement("span");
    name.className = "check-name";
    name.textContent = check.severity === "warn" ? `${check.name} (warn)` : check.name;
    item.append(mark, " ", name);
    const note = document.createElement("div");
    note.className = "message";
    note.textContent = result === "never" ? "never run" : check.message || "";
    if (check.checked_at) note.title = `checked ${check.checked_at}`;
    item.append(note);
    list.appendChild(item);
  }
  return list;
}

function button(id, text, onClick) {
  const el = document.createElement("button");
  el.type = "button";
  el.id = id;
  el.textContent = text;
  el.addEventListener("click", onClick);
  return el;
}
