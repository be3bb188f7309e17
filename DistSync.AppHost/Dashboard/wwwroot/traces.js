// Traces list: filter by resource, span name, minimum duration and errors.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/traces", "Traces");
  const resource = el("select", { id: "resource" });
  const name = el("input", { id: "name", type: "search", placeholder: "Span name contains", size: 24 });
  const minDuration = el("input", { id: "min", type: "number", min: 0, placeholder: "Min duration (ms)", style: { width: "180px" } });
  const errors = el("input", { id: "errors", type: "checkbox" });
  const body = el("tbody");
  const count = el("span", { class: "sub" });
  main.append(el("h1", {}, "Traces", count, el("span", { class: "live" }, "live")),
    el("div", { class: "toolbar" }, resource, name, minDuration, el("label", { class: "check" }, errors, "Errors only")),
    el("div", { class: "panel" }, el("table", { id: "traces" },
      el("thead", {}, el("tr", {}, ["Time", "Name", "Resources", "Spans", "Duration", "Trace id"].map(h => el("th", {}, h)))), body)));

  name.value = DS.param("name") ?? "";
  minDuration.value = DS.param("min_duration_ms") ?? "";
  errors.checked = DS.param("errors_only") === "true";
  let wanted = DS.param("resource");
  let timer;
  for (const input of [resource, name, minDuration, errors]) {
    input.addEventListener(input.tagName === "SELECT" || input.type === "checkbox" ? "change" : "input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  }

  async function refresh() {
    DS.options(resource, await api("/api/telemetry/resources"), wanted ?? resource.value, "All resources");
    wanted = null;
    const query = { resource: resource.value, name: name.value.trim(), min_duration_ms: minDuration.value, errors_only: errors.checked ? "true" : "" };
    DS.setParams(query);
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v));
    const traces = await api(`/api/telemetry/traces?${params}`);
    const longest = Math.max(1, ...traces.map(t => t.duration_ms));
    count.textContent = `${traces.length} shown`;
    body.replaceChildren(...(traces.length ? traces.map(t => el("tr", { class: "clickable", "data-trace": t.trace_id, onclick: () => { location.href = `/traces/${t.trace_id}`; } },
      el("td", { class: "mono", style: { whiteSpace: "nowrap" } }, DS.time(t.start)),
      el("td", {}, el("a", { href: `/traces/${t.trace_id}` }, t.name), t.has_error ? [" ", el("span", { class: "badge err" }, "error")] : null),
      el("td", {}, t.resources.map(DS.resourceChip)),
      el("td", { class: "mono" }, t.span_count),
      el("td", {}, el("div", { style: { display: "flex", gap: "10px", alignItems: "center" } },
        el("div", { class: "durbar" }, el("span", { style: { width: `${Math.max(1, 100 * t.duration_ms / longest)}%` } })),
        el("span", { class: "mono" }, DS.duration(t.duration_ms)))),
      el("td", { class: "mono muted" }, t.trace_id.slice(0, 16))))
      : [el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No traces match."))]));
  }

  DS.live(refresh, ["traces"]);
})();
