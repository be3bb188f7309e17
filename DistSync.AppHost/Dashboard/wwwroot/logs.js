// Structured logs: level, text, resource, attribute and trace filters; rows expand to attributes.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/logs", "Structured logs");
  const resource = el("select", { id: "resource" });
  const level = el("select", { id: "level" }, ["", "trace", "debug", "information", "warning", "error", "critical"].map(l => el("option", { value: l }, l ? `${l} and above` : "All levels")));
  const text = el("input", { id: "q", type: "search", placeholder: "Search message or attributes", size: 30 });
  const attr = el("input", { id: "attr", type: "search", placeholder: "Attribute filter: key=value", size: 26 });
  const traceId = el("input", { id: "trace", type: "search", placeholder: "Trace id", size: 34, class: "mono" });
  const body = el("tbody");
  const count = el("span", { class: "sub" });
  const open = new Set();
  main.append(el("h1", {}, "Structured logs", count, el("span", { class: "live" }, "live")),
    el("div", { class: "toolbar" }, resource, level, text, attr, traceId),
    el("div", { class: "panel" }, el("table", { id: "logs" },
      el("thead", {}, el("tr", {}, ["Time", "Level", "Resource", "Message", "Trace"].map(h => el("th", {}, h)))), body)));

  level.value = DS.param("level") ?? "";
  text.value = DS.param("q") ?? "";
  attr.value = DS.param("attr") ?? "";
  traceId.value = DS.param("trace_id") ?? "";
  let wanted = DS.param("resource");
  let timer;
  for (const input of [resource, level, text, attr, traceId]) {
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  }

  function row(log) {
    const key = log.sequence;
    const rows = [el("tr", { class: "clickable", onclick: () => { open.has(key) ? open.delete(key) : open.add(key); refresh(); } },
      el("td", { class: "mono", style: { whiteSpace: "nowrap" } }, DS.time(log.time)),
      el("td", {}, DS.levelBadge(log.level)),
      el("td", {}, DS.resourceChip(log.resource)),
      el("td", {}, log.message),
      el("td", {}, log.trace_id ? el("a", { class: "mono", href: `/traces/${log.trace_id}`, onclick: e => e.stopPropagation() }, log.trace_id.slice(0, 8)) : ""))];
    if (open.has(key)) {
      rows.push(el("tr", { class: "details" }, el("td", { colspan: 5 },
        DS.kv(Object.assign({ "(scope)": log.scope, "(span_id)": log.span_id ?? "" }, log.attributes)))));
    }
    return rows;
  }

  async function refresh() {
    const names = await api("/api/telemetry/resources");
    DS.options(resource, names, wanted ?? resource.value, "All resources");
    wanted = null;
    const query = { resource: resource.value, level: level.value, q: text.value.trim(), attr: attr.value.trim(), trace_id: traceId.value.trim() };
    DS.setParams(query);
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
    params.set("limit", "500");
    const logs = await api(`/api/telemetry/logs?${params}`);
    count.textContent = `${logs.length} shown`;
    body.replaceChildren(...(logs.length ? logs.flatMap(row) : [el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No log records match."))]));
  }

  DS.live(refresh, ["logs"]);
})();
