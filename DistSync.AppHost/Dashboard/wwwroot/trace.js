// One trace: waterfall of spans coloured per resource; selecting a span shows attributes and events.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/traces", "Trace");
  const traceId = decodeURIComponent(location.pathname.split("/").pop());
  const header = el("div");
  const waterfall = el("div", { class: "panel waterfall", id: "waterfall" });
  const side = el("div", { class: "panel side", id: "span-details" }, el("div", { class: "muted" }, "Select a span to see its attributes and events."));
  main.append(el("div", { class: "toolbar" }, el("a", { href: "/traces" }, "← Traces")), header, el("div", { class: "split" }, waterfall, side));
  let selected = null;

  // Depth-first by start time, so children sit under their parent.
  function order(spans) {
    const ids = new Set(spans.map(s => s.span_id));
    const children = new Map();
    for (const s of spans) {
      const parent = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : null;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(s);
    }
    const out = [];
    const visit = (parent, depth) => {
      for (const s of (children.get(parent) || []).sort((a, b) => a.start.localeCompare(b.start))) {
        if (out.length > 5000) return;
        out.push([s, depth]);
        visit(s.span_id, depth + 1);
      }
    };
    visit(null, 0);
    return out;
  }

  function details(span) {
    side.replaceChildren(el("div", {},
      el("h2", { style: { marginTop: 0 } }, span.name),
      DS.kv({ resource: span.resource, kind: span.kind, status: span.status + (span.status_message ? `: ${span.status_message}` : ""),
        duration: DS.duration(span.duration_ms), start: span.start, span_id: span.span_id, parent_span_id: span.parent_span_id ?? "", scope: span.scope }),
      el("h2", {}, "Attributes"), DS.kv(span.attributes),
      el("h2", {}, `Events (${span.events.length})`),
      span.events.length ? span.events.map(e => el("div", { style: { marginBottom: "10px" } },
        el("div", {}, el("span", { class: "mono muted" }, DS.time(e.time)), " ", el("b", {}, e.name)), Object.keys(e.attributes).length ? DS.kv(e.attributes) : null)) : el("div", { class: "muted" }, "none")));
  }

  async function refresh() {
    let trace;
    try { trace = await api(`/api/telemetry/traces/${encodeURIComponent(traceId)}`); }
    catch (e) { header.replaceChildren(el("h1", {}, "Trace not found"), el("p", { class: "muted" }, e.message)); return; }
    const start = DS.ms(trace.start);
    const total = Math.max(trace.duration_ms, 0.001);
    header.replaceChildren(
      el("h1", {}, trace.name, trace.has_error ? el("span", { class: "badge err" }, "error") : null),
      el("div", { class: "toolbar muted" },
        el("span", {}, "Trace ", el("span", { class: "mono" }, trace.trace_id)), "·", el("span", {}, DS.duration(trace.duration_ms)), "·",
        el("span", {}, `${trace.span_count} spans`), "·", trace.resources.map(DS.resourceChip),
        el("a", { href: `/logs?trace_id=${trace.trace_id}` }, "View logs")));
    const ticks = [0, 1 / 3, 2 / 3, 1].map(f => el("span", { style: { left: `${f * 100}%`, transform: f === 0 ? "none" : f === 1 ? "translateX(-100%)" : "translateX(-50%)", paddingLeft: f === 0 ? "4px" : "0", paddingRight: f === 1 ? "4px" : "0" } }, DS.duration(total * f)));
    const rows = order(trace.spans).map(([s, depth]) => {
      const offset = DS.ms(s.start) - start;
      const left = Math.min(100, 100 * Math.max(0, offset) / total);
      const width = Math.max(0.2, Math.min(100 - left, 100 * s.duration_ms / total));
      const events = s.events.map(e => el("span", { class: "evt", title: e.name, style: { left: `${Math.min(100, 100 * (DS.ms(e.time) - start) / total)}%` } }));
      const row = el("div", { class: `row ${selected === s.span_id ? "selected" : ""}`, "data-span": s.name, onclick: () => { selected = s.span_id; details(s); refresh(); } },
        el("div", { class: "name", style: { paddingLeft: `${10 + depth * 16}px` }, title: `${s.resource}: ${s.name}` },
          el("span", { class: "dot", style: { background: DS.colorFor(s.resource) } }), el("span", { class: "muted" }, `${s.resource} `), s.name),
        el("div", { class: "track" }, el("div", { class: `bar ${s.status === "error" ? "error" : ""}`, style: { left: `${left}%`, width: `${width}%`, background: DS.colorFor(s.resource) } }), events),
        el("div", { class: "dur" }, DS.duration(s.duration_ms)));
      return row;
    });
    waterfall.replaceChildren(el("div", { class: "head" }, el("div", { class: "name" }, "Span"), el("div", { class: "ticks" }, ticks), el("div", { class: "dur" }, "Duration")), ...rows);
    if (!selected && trace.spans.length) { selected = order(trace.spans)[0][0].span_id; details(order(trace.spans)[0][0]); refresh(); }
  }

  DS.live(refresh, ["traces"], 2000, 10000);
})();
