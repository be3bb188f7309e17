// Resources page: every resource the AppHost runs, with lifecycle commands and details.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/", "Resources");
  const body = el("tbody");
  const open = new Set();
  main.append(
    el("h1", {}, "Resources", el("span", { class: "live" }, "live")),
    el("div", { class: "panel" }, el("table", { id: "resources" },
      el("thead", {}, el("tr", {}, ["Name", "Type", "State", "PID", "Started", "Endpoints", "Health", "Raft", "Restarts", "Actions"].map(h => el("th", {}, h)))),
      body)));

  async function command(name, verb, button) {
    button.disabled = true;
    try {
      await api(`/api/resources/${encodeURIComponent(name)}/${verb}`, { method: "POST" });
      DS.toast(`${verb} ${name}: done`);
    } catch (e) {
      DS.toast(`${verb} ${name} failed: ${e.message}`);
    } finally {
      button.disabled = false;
      refresh();
    }
  }

  function raft(r) {
    if (!r.raft) return el("span", { class: "muted" }, r.type === "node" ? "—" : "");
    const cls = r.raft.role === "leader" ? "accent" : r.raft.role === "candidate" ? "warn" : "";
    return el("span", {}, el("span", { class: `badge ${cls}` }, r.raft.role), " ",
      el("span", { class: "mono muted" }, `term ${r.raft.term}`), r.raft.leader_id ? el("span", { class: "mono muted" }, ` · leader ${r.raft.leader_id}`) : null);
  }

  function row(r) {
    const toggle = () => { open.has(r.name) ? open.delete(r.name) : open.add(r.name); refresh(); };
    const cmd = verb => el("button", { class: `small ${verb === "stop" ? "danger" : ""}`, "data-command": verb, onclick: e => { e.stopPropagation(); command(r.name, verb, e.target); } },
      verb[0].toUpperCase() + verb.slice(1));
    const rows = [el("tr", { class: "clickable", "data-resource": r.name, onclick: toggle },
      el("td", {}, DS.resourceChip(r.name)),
      el("td", {}, el("span", { class: "badge" }, r.type)),
      el("td", {}, DS.stateBadge(r.state), r.exit_code !== null && r.exit_code !== undefined ? el("span", { class: "mono muted" }, ` exit ${r.exit_code}`) : null),
      el("td", { class: "mono" }, r.pid ?? ""),
      el("td", { class: "mono", style: { whiteSpace: "nowrap" } }, DS.dateTime(r.started_at)),
      el("td", {}, r.endpoints.map(e => el("div", {}, /^https?:/.test(e) ? el("a", { href: e, target: "_blank", rel: "noopener", class: "mono", onclick: ev => ev.stopPropagation() }, e) : el("span", { class: "mono" }, e)))),
      el("td", {}, r.health ? DS.stateBadge(r.health) : ""),
      el("td", {}, raft(r)),
      el("td", { class: "mono" }, r.restarts),
      el("td", {}, el("div", { class: "actions" }, cmd("stop"), cmd("start"), cmd("restart"),
        el("a", { class: "small", href: `/console?resource=${encodeURIComponent(r.name)}`, onclick: ev => ev.stopPropagation() }, "Console"))))];
    if (open.has(r.name)) {
      rows.push(el("tr", { class: "details" }, el("td", { colspan: 10 },
        el("h2", { style: { marginTop: "4px" } }, "Environment ", el("span", { class: "sub" }, "(secrets masked)")), DS.kv(r.environment),
        r.raft ? [el("h2", {}, "Raft"), DS.kv({ role: r.raft.role, term: r.raft.term, leader_id: r.raft.leader_id ?? "", commit_index: r.raft.commit_index, last_applied: r.raft.last_applied })] : null)));
    }
    return rows;
  }

  async function refresh() {
    const resources = await api("/api/resources");
    body.replaceChildren(...(resources.length ? resources.flatMap(row) : [el("tr", {}, el("td", { colspan: 10, class: "empty" }, "No resources yet."))]));
  }

  DS.live(refresh, ["resources"], 500, 3000);
})();
