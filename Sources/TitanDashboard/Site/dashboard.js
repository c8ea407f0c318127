// The Titan PM dashboard: plain JavaScript over the admin endpoint's JSON protocol.
// POST /api answers one request; GET /api/stream streams replies as server-sent events.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const $ = (selector, root = document) => root.querySelector(selector);

// ---------------------------------------------------------------- talking to the manager

async function api(request) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch("/api", { method: "POST", headers, body: JSON.stringify(request) });
  if (!response.ok) throw new Error((await response.text()) || response.statusText);
  const reply = await response.json();
  if (Array.isArray(reply)) return reply.filter(r => r.ok && r.result !== undefined).map(r => r.result);
  if (!reply.ok) throw new Error(reply.error ? reply.error.message : "request failed");
  return reply.result;
}

function stream(request, onItem, onError) {
  let url = "/api/stream?request=" + encodeURIComponent(JSON.stringify(request));
  if (token) url += "&token=" + encodeURIComponent(token);
  const source = new EventSource(url);
  source.onmessage = message => {
    const reply = JSON.parse(message.data);
    if (reply.end) { source.close(); return; }
    if (!reply.ok) { source.close(); onError && onError(reply.error ? reply.error.message : "failed"); return; }
    onItem(reply.result);
  };
  return source;
}

// ---------------------------------------------------------------- formatting

function duration(seconds) {
  if (seconds == null) return "-";
  const s = Math.floor(seconds);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor(s / 60) % 60).padStart(2, "0") + "m";
  return Math.floor(s / 86400) + "d" + String(Math.floor(s / 3600) % 24).padStart(2, "0") + "h";
}

function bytes(value) {
  if (value == null) return "-";
  const units = ["B", "KiB", "MiB", "GiB"];
  let amount = value, unit = 0;
  while (amount >= 1024 && unit < units.length - 1) { amount /= 1024; unit++; }
  return unit === 0 ? value + " B" : amount.toFixed(1) + " " + units[unit];
}

const percent = value => value == null ? "-" : value.toFixed(1) + "%";
const rate = value => value == null ? "-" : value.toFixed(1);
const clock = time => new Date(time * 1000).toLocaleTimeString();

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function toast(message, isError = false) {
  const box = $("#toast");
  box.textContent = message;
  box.className = isError ? "error" : "";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 4000);
}

async function act(request) {
  try {
    const report = await api(request);
    toast(report.message || "done");
  } catch (error) {
    toast(error.message, true);
  }
  scheduleRefresh();
}

// ---------------------------------------------------------------- processes

const processColumns = ["id", "service", "version", "pid", "status", "uptime", "restarts", "cpu", "rss", "calls"];

function processRow(id) {
  const row = element("tr", { "data-process-id": id });
  for (const column of processColumns) {
    const numeric = ["pid", "uptime", "restarts", "cpu", "rss", "calls"].includes(column);
    row.append(element("td", { class: column + (numeric ? " num" : "") }));
  }
  const actions = element("td", { class: "actions" },
    element("button", { "data-action": "restart", "data-name": id, textContent: "restart", title: "Stop gracefully and start again" }),
    element("button", { "data-action": "stop", "data-name": id, class: "danger", textContent: "stop", title: "Graceful stop, then SIGTERM, then SIGKILL" }),
    element("button", { "data-action": "log", "data-name": id, textContent: "log" }));
  row.append(actions);
  return row;
}

function renderProcesses(processes) {
  const body = $("#processes tbody");
  const seen = new Set();
  for (const p of processes) {
    seen.add(p.id);
    let row = body.querySelector(`tr[data-process-id="${CSS.escape(p.id)}"]`);
    if (!row) { row = processRow(p.id); body.append(row); }
    const cell = name => row.querySelector("td." + name);
    cell("id").textContent = p.id + (p.pool ? "  · " + p.pool : "") + (p.supervisor ? "  · " + p.supervisor : "");
    cell("service").textContent = p.service;
    cell("version").textContent = p.version;
    cell("pid").textContent = p.pid == null ? "-" : String(p.pid);
    cell("status").textContent = p.status;
    cell("status").className = "status status-" + p.status;
    cell("uptime").textContent = duration(p.uptime);
    cell("restarts").textContent = String(p.restarts);
    const cpu = cell("cpu");
    cpu.textContent = percent(p.cpuPercent);
    cpu.append(element("span", { class: "bar" }, element("span", { style: "" })));
    cpu.querySelector(".bar > span").style.width = Math.min(100, p.cpuPercent || 0) + "%";
    cell("rss").textContent = bytes(p.residentBytes);
    cell("calls").textContent = rate(p.callsPerSecond);
    const live = !["stopped", "failed"].includes(p.status);
    for (const button of row.querySelectorAll("button[data-action=restart], button[data-action=stop]")) button.disabled = !live;
  }
  for (const row of [...body.querySelectorAll("tr")]) {
    if (!seen.has(row.dataset.processId)) row.remove();
  }
}

// ---------------------------------------------------------------- pools and tree

function renderPools(pools) {
  const box = $("#pools");
  if (!pools.length) { box.replaceChildren(element("p", { class: "empty", textContent: "No pools." })); return; }
  // Keep an input the user is typing in.
  const typing = document.activeElement && document.activeElement.dataset.pool;
  box.replaceChildren(...pools.map(pool => {
    const input = element("input", { type: "number", min: 1, value: pool.size, "data-pool": pool.id });
    if (pool.id === typing) input.value = document.activeElement.value;
    return element("div", { class: "pool", "data-pool-id": pool.id },
      element("header", {},
        element("strong", { textContent: pool.id }),
        element("span", { textContent: `${pool.service}: ${pool.size} workers, ${pool.busy} busy, ${pool.queued} queued, ${pool.processed} calls` }),
        input,
        element("button", { "data-action": "scale", "data-name": pool.id, textContent: "scale" }),
        element("button", { "data-action": "rolling", "data-name": pool.id, textContent: "rolling restart" })),
      element("ul", {}, ...pool.workers.map(w =>
        element("li", { textContent: `${w.id} pid ${w.pid ?? "-"} ${w.state}, ${w.inFlight} in flight, ${w.processed} calls, CPU ${percent(w.cpuPercent)}, ${bytes(w.residentBytes)}` }))));
  }));
  if (typing) { const again = box.querySelector(`input[data-pool="${CSS.escape(typing)}"]`); again && again.focus(); }
}

function treeNode(node) {
  const label = element("span", {},
    element("span", { class: "kind", textContent: node.kind }),
    node.name + (node.detail ? ` [${node.detail}]` : ""));
  if (node.status) label.append(" ", element("span", { class: "status-" + node.status, textContent: node.status }));
  if (node.pid != null) label.append(` pid ${node.pid}`);
  if (node.restarts) label.append(` · ${node.restarts} restarts`);
  const item = element("li", {}, label);
  if (node.children && node.children.length) item.append(element("ul", {}, ...node.children.map(treeNode)));
  return item;
}

function renderTree(root) {
  $("#tree").replaceChildren(element("ul", { class: "tree" }, treeNode(root)));
  $("#manager").textContent = `manager ${root.name} · pid ${root.pid}`;
}

// ---------------------------------------------------------------- events and logs

let lastEvent = 0;

function addEvent(event) {
  if (event.sequence <= lastEvent) return;
  lastEvent = event.sequence;
  const text = `${event.source} ${event.subject} ${event.kind}` + (event.pid != null ? ` pid ${event.pid}` : "") + (event.detail ? ` — ${event.detail}` : "");
  const item = element("li", { class: event.source, "data-kind": event.kind, "data-subject": event.subject },
    element("span", { class: "time", textContent: clock(event.time) }), text);
  const list = $("#events");
  list.prepend(item);
  while (list.children.length > 300) list.lastChild.remove();
}

function watchEvents() {
  const badge = $("#connection");
  const source = stream({ op: "events", follow: true, count: 100 }, event => {
    addEvent(event);
    scheduleRefresh();
  });
  source.onopen = () => { badge.textContent = "live"; badge.className = "badge live"; };
  source.onerror = () => { badge.textContent = "reconnecting"; badge.className = "badge"; };
}

let logStream = null;

function showLog(name) {
  if (logStream) logStream.close();
  $("#log-target").textContent = name;
  const log = $("#log");
  log.replaceChildren();
  logStream = stream({ op: "logs", name, count: 100, follow: true }, line => {
    log.append(element("span", { class: line.stream, textContent: `${clock(line.time)} ${line.text}\n` }));
    log.scrollTop = log.scrollHeight;
  }, message => {
    log.append(element("span", { class: "notice", textContent: message + "\n" }));
  });
}

// ---------------------------------------------------------------- service explorer

function template(type) {
  if (/^(U?Int\d*|Double|Float)$/.test(type)) return 0;
  if (type === "String") return "";
  if (type === "Bool") return false;
  if (/^\[.*:.*\]$/.test(type)) return {};
  if (/^\[.*\]$/.test(type)) return [];
  if (type.endsWith("?")) return null;
  return {};
}

async function renderServices() {
  const services = await api({ op: "services" });
  const list = $("#services");
  const selected = list.querySelector("button.selected");
  const current = selected && selected.dataset.service;
  list.replaceChildren(...services.map(s => element("li", {},
    element("button", {
      "data-service": s.name, class: s.name === current ? "selected" : "",
      textContent: `${s.name} ${s.version}` + (s.instances.length ? ` · ${s.instances.length} running` : "") + (s.spawnable ? " · spawnable" : ""),
    }))));
}

async function showService(name) {
  for (const b of document.querySelectorAll("#services button")) b.classList.toggle("selected", b.dataset.service === name);
  const detail = $("#service-detail");
  let service;
  try { service = await api({ op: "service", name }); } catch (error) { detail.textContent = error.message; return; }
  const head = element("p", {}, element("strong", { textContent: service.name }), ` ${service.version} · ${service.type || "type unknown here"}`);
  const spawnable = (await api({ op: "services" })).find(s => s.name === name && s.spawnable);
  if (spawnable) head.append(" ", element("button", { "data-action": "spawn", "data-name": name, textContent: "spawn one" }));
  if (service.interfaceHash) head.append(element("span", { class: "note empty", textContent: ` · interface ${service.interfaceHash}` }));
  const parts = [head];
  if (service.note) parts.push(element("p", { class: "note empty", textContent: service.note }));
  for (const method of service.methods) {
    const box = element("div", { class: "method", "data-method": method.name },
      element("code", { textContent: method.name }), " ", element("span", { textContent: signature(method) }));
    if (method.policies && method.policies.length) {
      box.append(element("div", { class: "policies", textContent: method.policies.join("  ") }));
    }
    if (method.invocable && service.instances.length) {
      const target = element("select", {}, ...service.instances.map(i => element("option", { value: i, textContent: i })));
      const args = element("textarea", { rows: 2, value: JSON.stringify(method.parameters.map(p => template(p.type))) });
      const result = element("pre", { class: "result" });
      const button = element("button", { textContent: "invoke" });
      button.addEventListener("click", async () => {
        result.className = "result";
        result.textContent = "…";
        try {
          const report = await api({ op: "invoke", name: target.value, method: method.name, arguments: JSON.parse(args.value || "null") });
          result.textContent = JSON.stringify(report.result, null, 2) + `   (${(report.seconds * 1000).toFixed(1)} ms)`;
        } catch (error) {
          result.className = "result error";
          result.textContent = error.message;
        }
      });
      box.append(element("div", {}, "on ", target, " ", button), args, result);
    } else {
      box.append(element("div", { class: "note", textContent: method.invocable ? "start an instance to call it" : method.note || "" }));
    }
    parts.push(box);
  }
  detail.replaceChildren(...parts);
}

function signature(method) {
  const params = method.parameters.map(p => (p.label ? p.label + ": " : "") + p.type).join(", ");
  return `(${params}) → ${method.result}`;
}

// ---------------------------------------------------------------- refreshing

let refreshTimer = null;

function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 100);
}

async function refresh() {
  try {
    const [status, pools, tree] = await Promise.all([api({ op: "status" }), api({ op: "pools" }), api({ op: "tree" })]);
    renderProcesses(status.processes);
    renderPools(pools);
    renderTree(tree);
  } catch (error) {
    $("#connection").textContent = "offline";
    $("#connection").className = "badge";
  }
}

document.addEventListener("click", event => {
  const button = event.target.closest("button");
  if (!button) return;
  const name = button.dataset.name;
  switch (button.dataset.action) {
    case "restart": act({ op: "restart", name }); break;
    case "stop": act({ op: "stop", name }); break;
    case "log": showLog(name); break;
    case "rolling": act({ op: "restart", name, rolling: true }); break;
    case "spawn": act({ op: "spawn", name }).then(() => showService(name)); break;
    case "scale": {
      const input = document.querySelector(`input[data-pool="${CSS.escape(name)}"]`);
      act({ op: "scale", name, count: Number(input.value) });
      break;
    }
    default:
      if (button.dataset.service) showService(button.dataset.service);
  }
});

refresh();
renderServices();
watchEvents();
setInterval(refresh, 1000);
setInterval(renderServices, 5000);
