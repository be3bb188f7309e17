// Cluster: each node's Raft view, and a node's lock table and wait-for graph.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/cluster", "Cluster");
  const cards = el("div", { class: "cards", id: "nodes" });
  const nodeSelect = el("select", { id: "lock-node" });
  const locks = el("div", { id: "locks" });
  main.append(el("h1", {}, "Cluster", el("span", { class: "live" }, "live")), cards,
    el("h2", {}, "Locks ", el("span", { class: "sub" }, "as one node reports them (GET /locks/state)")),
    el("div", { class: "toolbar" }, nodeSelect), locks);
  nodeSelect.addEventListener("change", refreshLocks);

  async function refreshNodes() {
    const nodes = await api("/api/cluster/");
    cards.replaceChildren(...(nodes.length ? nodes.map(n => el("div", { class: `panel card ${n.raft?.role === "leader" ? "leader" : ""}`, "data-node": n.name },
      el("div", { class: "title" }, DS.resourceChip(n.name), DS.stateBadge(n.state)),
      n.raft ? DS.kv({ role: n.raft.role, term: n.raft.term, leader: n.raft.leader_id ?? "none", commit_index: n.raft.commit_index, last_applied: n.raft.last_applied })
        : el("div", { class: "muted" }, "No Raft status yet."))) : [el("div", { class: "panel empty" }, "No nodes.")]));
    const leader = nodes.find(n => n.raft?.role === "leader");
    DS.options(nodeSelect, nodes.map(n => n.name), nodeSelect.value || leader?.name);
  }

  const list = v => Array.isArray(v) ? v.join(", ") : v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

  function lockTable(table) {
    const entries = Object.entries(table || {});
    if (!entries.length) return el("div", { class: "panel empty" }, "No locks are held or awaited.");
    const extra = [...new Set(entries.flatMap(([, l]) => Object.keys(l || {})))].filter(k => !["mode", "holders", "waiters", "fencing_token"].includes(k));
    return el("div", { class: "panel" }, el("table", { id: "lock-table" },
      el("thead", {}, el("tr", {}, ["Resource", "Mode", "Holders", "Waiters", "Fencing token", ...extra].map(h => el("th", {}, h)))),
      el("tbody", {}, entries.map(([name, l]) => el("tr", {},
        el("td", { class: "mono" }, name),
        el("td", {}, l?.mode ? el("span", { class: `badge ${l.mode === "exclusive" ? "warn" : "info"}` }, l.mode) : ""),
        el("td", { class: "mono" }, list(l?.holders)), el("td", { class: "mono" }, list(l?.waiters)),
        el("td", { class: "mono" }, list(l?.fencing_token)), extra.map(k => el("td", { class: "mono" }, list(l?.[k]))))))));
  }

  // Clients on a circle, an arrow from each waiter to each client it waits for; edges on a cycle in red.
  function graph(waitFor) {
    const edges = Object.entries(waitFor || {}).flatMap(([from, tos]) => (Array.isArray(tos) ? tos : [tos]).map(to => [from, String(to)]));
    if (!edges.length) return el("div", { class: "panel empty" }, "Nobody is waiting.");
    const nodes = [...new Set(edges.flat())].slice(0, 40);
    const reach = (from, target, seen = new Set()) => edges.some(([a, b]) => a === from && (b === target || (!seen.has(b) && seen.add(b) && reach(b, target, seen))));
    const ns = "http://www.w3.org/2000/svg", W = 640, H = 320, cx = W / 2, cy = H / 2, r = Math.min(W, H) / 2 - 40;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("id", "wait-for");
    const add = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text !== undefined) n.textContent = text; svg.append(n); return n; };
    svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#9a9aa8"/></marker><marker id="arrow-red" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#f85149"/></marker></defs>';
    const pos = new Map(nodes.map((n, i) => [n, [cx + r * Math.cos(2 * Math.PI * i / nodes.length - Math.PI / 2), cy + r * Math.sin(2 * Math.PI * i / nodes.length - Math.PI / 2)]]));
    for (const [a, b] of edges) {
      if (!pos.has(a) || !pos.has(b)) continue;
      const [x1, y1] = pos.get(a), [x2, y2] = pos.get(b), d = Math.hypot(x2 - x1, y2 - y1) || 1, k = 22 / d;
      const cyc = reach(b, a);
      add("line", { x1: x1 + (x2 - x1) * k, y1: y1 + (y2 - y1) * k, x2: x2 - (x2 - x1) * k, y2: y2 - (y2 - y1) * k, stroke: cyc ? "#f85149" : "#9a9aa8", "stroke-width": 1.6, "marker-end": cyc ? "url(#arrow-red)" : "url(#arrow)" });
    }
    for (const [n, [x, y]] of pos) {
      add("circle", { cx: x, cy: y, r: 20, fill: "#2c2c33", stroke: DS.colorFor(n), "stroke-width": 2 });
      add("text", { x, y: y + 4, "text-anchor": "middle" }, n.length > 8 ? n.slice(0, 7) + "…" : n);
    }
    return el("div", { class: "panel graph" }, svg,
      el("div", { class: "muted", style: { padding: "0 12px 10px" } }, edges.map(([a, b]) => `${a} → ${b}`).join("  ·  ")));
  }

  async function refreshLocks() {
    if (!nodeSelect.value) { locks.replaceChildren(el("div", { class: "panel empty" }, "No node to ask.")); return; }
    const view = await api(`/api/cluster/${encodeURIComponent(nodeSelect.value)}/locks`);
    if (!view.available) {
      locks.replaceChildren(el("div", { class: "panel empty", id: "locks-unavailable" }, "Lock table not available", el("div", { class: "sub" }, view.reason || "")));
      return;
    }
    locks.replaceChildren(lockTable(view.state?.locks), el("h2", {}, "Wait-for graph"), graph(view.state?.wait_for));
  }

  DS.live(async () => { await refreshNodes(); await refreshLocks(); }, ["resources"], 2000, 3000);
})();
