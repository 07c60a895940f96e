// phasemem web page: search, an entity's fact timeline, the entity graph.
// Plain JS, no build step. Text from the server goes in with textContent only.
"use strict";

const $ = (id) => document.getElementById(id);
const T = PhasememTime;
const state = {
  key: sessionStorage.getItem("phasemem.key") || "",
  user: sessionStorage.getItem("phasemem.user") || "",
};

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + state.key, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((data.error && data.error.message) || res.statusText);
    err.status = res.status;
    err.code = data.error && data.error.code;
    throw err;
  }
  return data;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function day(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "";
}

// The as-of time every view shows (ISO, end of the chosen day UTC), or null: now.
function asOf() {
  return T.asOfIso($("asof").value);
}

function withAsOf(path) {
  const at = asOf();
  return at ? path + "&as_of=" + encodeURIComponent(at) : path;
}

function asOfLabel() {
  return asOf() ? " as of " + $("asof").value : "";
}

async function whoami() {
  try {
    const me = await api("GET", "/v1/whoami");
    $("who").textContent = "tenant " + me.tenant;
    loadGraph();
  } catch (e) {
    $("who").textContent = e.message;
  }
}

async function search(ev) {
  ev.preventDefault();
  const list = $("results");
  list.replaceChildren();
  $("search-facts").replaceChildren();
  $("facts-title").hidden = true;
  $("status").textContent = "searching...";
  const at = asOf();
  const body = { query: $("q").value, user_id: state.user, limit: 20 };
  if (at) body.as_of = at;
  const t = T.viewTime(at);
  const t0 = performance.now();
  try {
    const res = await api("POST", "/v1/search", body);
    const ms = Math.round(performance.now() - t0);
    // The server keeps later memories out; the page holds to its as-of view
    // whatever server it talks to.
    const hits = res.results.filter((hit) => T.happenedBy(hit, t));
    $("status").textContent = hits.length + " results" + asOfLabel() + " in " + ms + " ms";
    for (const hit of hits) {
      const li = el("li", "result");
      li.dataset.id = hit.id;
      li.appendChild(el("div", "text", hit.memory));
      const meta = el("div", "meta");
      meta.appendChild(el("span", "when", day(hit.occurred_at)));
      if (hit.speaker || hit.role) meta.appendChild(el("span", "who", hit.speaker || hit.role));
      meta.appendChild(el("span", "source", "source: " + sourceLabel(hit)));
      if (hit.quarantine) li.appendChild(el("span", "tag quarantined", "addresses the model: quarantined"));
      if (hit.session_id) meta.appendChild(el("span", "session", hit.session_id));
      meta.appendChild(el("span", "id", hit.id.slice(0, 8)));
      li.appendChild(meta);
      list.appendChild(li);
    }
    for (const d of res.disputes || []) {
      const sides = d.sides.map((s) => s.value + " (" + s.sources.join(", ") + ")").join(" vs ");
      list.appendChild(el("li", "dispute", "Disputed " + d.slot + ": " + sides + "; standing: " + d.value));
    }
    const facts = (res.facts || []).filter((f) => T.factStatus(f, t) !== "future");
    for (const f of facts) $("search-facts").appendChild(factItem(f, t));
    $("facts-title").textContent = "Facts" + (at ? asOfLabel() : " (current and superseded)");
    $("facts-title").hidden = !facts.length;
  } catch (e) {
    $("status").textContent = "";
    list.appendChild(el("li", "error", e.message));
  }
}

// A fact as seen at time t: tagged current, superseded or not yet true, and
// with an end only if it had ended by t (a later end was not known then).
function factItem(f, t) {
  const status = T.factStatus(f, t);
  const li = el("li", "fact" + (status === "current" ? "" : " " + status));
  li.appendChild(el("span", "triple", f.subject + " " + f.relation + " " + f.object));
  li.appendChild(el("span", "tag " + status, status === "future" ? "not yet" : status));
  const meta = el("div", "meta");
  const end = T.endAsSeenAt(f, t);
  meta.appendChild(el("span", null, "valid " + (day(f.valid_at) || "?") + " to " +
    (end ? day(end) : asOf() ? "then" : "now")));
  meta.appendChild(el("span", null, "recorded " + day(f.recorded_at)));
  if (f.expired_at && end) meta.appendChild(el("span", null, "replaced " + day(f.expired_at)));
  if (f.source) meta.appendChild(el("span", "source", "source: " + f.source));
  if (f.status && f.status !== "accepted") li.appendChild(el("span", "tag " + f.status, f.status));
  li.appendChild(meta);
  return li;
}

// Where a memory came from: "kind:name", and who wrote it into memory.
function sourceLabel(m) {
  const label = (m.source_kind || "user") + ":" + (m.source_name || "default");
  return m.actor ? label + " (by " + m.actor + ")" : label;
}

async function timeline(entity) {
  const list = $("timeline");
  list.replaceChildren();
  $("timeline-title").textContent = "Timeline" + asOfLabel();
  const t = T.viewTime(asOf());
  try {
    const res = await api("GET", withAsOf("/v1/timeline?user_id=" + encodeURIComponent(state.user) +
      "&entity=" + encodeURIComponent(entity)));
    const versions = res.results.filter((f) => T.factStatus(f, t) !== "future");
    if (!versions.length) list.appendChild(el("li", "muted", "no facts about " + entity + asOfLabel()));
    for (const f of versions) list.appendChild(factItem(f, t));
  } catch (e) {
    list.appendChild(el("li", "error", e.code === "not_implemented" ? "facts are not available in this build" : e.message));
  }
}

async function loadGraph() {
  const svg = $("graph");
  svg.replaceChildren();
  $("graph-title").textContent = "Entity graph" + asOfLabel();
  try {
    const g = await api("GET", withAsOf("/v1/graph?user_id=" + encodeURIComponent(state.user) + "&limit=200"));
    $("graph-status").textContent = g.nodes.length + " entities, " + g.edges.length + " facts" + asOfLabel();
    drawGraph(svg, g);
  } catch (e) {
    $("graph-status").textContent = e.code === "not_implemented" ? "facts are not available in this build" : e.message;
  }
}

// A small force layout: enough for a few hundred nodes, run a fixed number of steps.
function drawGraph(svg, g) {
  const W = 600, H = 420, NS = "http://www.w3.org/2000/svg";
  const nodes = g.nodes.map((n, i) => ({ id: n.id, degree: n.degree,
    x: W / 2 + 150 * Math.cos(i * 2.4), y: H / 2 + 150 * Math.sin(i * 2.4), vx: 0, vy: 0 }));
  const index = new Map(nodes.map((n) => [n.id, n]));
  const edges = g.edges.map((e) => ({ s: index.get(e.source), t: index.get(e.target), rel: e.relation }))
    .filter((e) => e.s && e.t);
  for (let step = 0; step < 200; step++) {
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i], b = nodes[j];
        let dx = a.x - b.x, dy = a.y - b.y;
        const d2 = Math.max(dx * dx + dy * dy, 25);
        const f = 800 / d2;
        dx *= f; dy *= f;
        a.vx += dx; a.vy += dy; b.vx -= dx; b.vy -= dy;
      }
    }
    for (const e of edges) {
      const dx = e.t.x - e.s.x, dy = e.t.y - e.s.y;
      e.s.vx += dx * 0.02; e.s.vy += dy * 0.02; e.t.vx -= dx * 0.02; e.t.vy -= dy * 0.02;
    }
    for (const n of nodes) {
      n.vx += (W / 2 - n.x) * 0.005; n.vy += (H / 2 - n.y) * 0.005;
      n.x = Math.min(W - 10, Math.max(10, n.x + n.vx * 0.5));
      n.y = Math.min(H - 10, Math.max(10, n.y + n.vy * 0.5));
      n.vx *= 0.6; n.vy *= 0.6;
    }
  }
  for (const e of edges) {
    const line = document.createElementNS(NS, "line");
    line.setAttribute("x1", e.s.x); line.setAttribute("y1", e.s.y);
    line.setAttribute("x2", e.t.x); line.setAttribute("y2", e.t.y);
    const title = document.createElementNS(NS, "title");
    title.textContent = e.s.id + " " + e.rel + " " + e.t.id;
    line.appendChild(title);
    svg.appendChild(line);
  }
  for (const n of nodes) {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", n.x); c.setAttribute("cy", n.y);
    c.setAttribute("r", 4 + Math.min(8, n.degree));
    c.addEventListener("click", () => { $("entity").value = n.id; timeline(n.id); });
    svg.appendChild(c);
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", n.x + 8); t.setAttribute("y", n.y + 3);
    t.textContent = n.id;
    svg.appendChild(t);
  }
}

$("auth").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.key = $("key").value.trim();
  state.user = $("user").value.trim();
  sessionStorage.setItem("phasemem.key", state.key);
  sessionStorage.setItem("phasemem.user", state.user);
  whoami();
});
$("search").addEventListener("submit", search);
$("timeline-form").addEventListener("submit", (ev) => { ev.preventDefault(); timeline($("entity").value); });
// A new as-of date redraws every view that shows one.
$("asof").addEventListener("change", () => {
  if (!(state.key && state.user)) return;
  loadGraph();
  if ($("entity").value) timeline($("entity").value);
  if ($("q").value) search(new Event("submit"));
});

// Key, user, query, entity and as-of date may come in the URL fragment
// (#key=...&user=...&q=...&entity=...&asof=YYYY-MM-DD), which never reaches the server logs.
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get("key")) state.key = frag.get("key");
if (frag.get("user")) state.user = frag.get("user");
$("key").value = state.key;
$("user").value = state.user;
if (frag.get("q")) $("q").value = frag.get("q");
if (T.asOfIso(frag.get("asof"))) $("asof").value = frag.get("asof");
if (state.key && state.user) {
  whoami();
  if (frag.get("q")) search(new Event("submit"));
  if (frag.get("entity")) { $("entity").value = frag.get("entity"); timeline(frag.get("entity")); }
}
