// Metrics: instruments per resource, a live SVG line chart of the selected one, dimension filters.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/metrics", "Metrics");
  const resource = el("select", { id: "resource" });
  const list = el("div", { class: "panel instruments", id: "instruments" });
  const view = el("div", { id: "instrument-view" });
  main.append(el("h1", {}, "Metrics", el("span", { class: "live" }, "live")),
    el("div", { class: "toolbar" }, resource),
    el("div", { class: "metrics" }, list, view));
  let selected = DS.param("resource") && DS.param("name") ? { resource: DS.param("resource"), name: DS.param("name") } : null;
  let filters = {};
  resource.addEventListener("change", () => refreshList());

  async function refreshList() {
    DS.options(resource, await api("/api/telemetry/resources"), resource.value || selected?.resource, "All resources");
    const instruments = await api(`/api/telemetry/metrics${resource.value ? `?resource=${encodeURIComponent(resource.value)}` : ""}`);
    const groups = new Map();
    for (const i of instruments) {
      if (!groups.has(i.instrument.resource)) groups.set(i.instrument.resource, []);
      groups.get(i.instrument.resource).push(i.instrument);
    }
    if (!selected && instruments.length) selected = { resource: instruments[0].instrument.resource, name: instruments[0].instrument.name };
    list.replaceChildren(...(instruments.length ? [...groups].flatMap(([res, items]) => [
      el("div", { class: "group" }, DS.resourceChip(res)),
      ...items.map(i => el("a", { href: "#", "data-instrument": i.name, title: i.description,
        class: selected && selected.resource === i.resource && selected.name === i.name ? "active" : null,
        onclick: e => { e.preventDefault(); selected = { resource: i.resource, name: i.name }; filters = {}; refreshList(); refreshChart(); } }, i.name))])
      : [el("div", { class: "empty" }, "No metrics received yet.")]));
  }

  // Value of quantile q from explicit-bucket counts, interpolating inside the bucket.
  function quantile(bounds, counts, q) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (!total) return null;
    const target = q * total;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      if (seen + counts[i] >= target && counts[i] > 0) {
        const lower = i === 0 ? Math.min(0, bounds[0] ?? 0) : bounds[i - 1];
        const upper = i < bounds.length ? bounds[i] : bounds[bounds.length - 1] ?? lower;
        return lower + (upper - lower) * ((target - seen) / counts[i]);
      }
      seen += counts[i];
    }
    return bounds[bounds.length - 1] ?? null;
  }

  function lines(page) {
    const out = [];
    for (const s of page.series) {
      const label = Object.entries(s.attributes).map(([k, v]) => `${k}=${v}`).join(", ") || "(no dimensions)";
      if (page.instrument.kind === "histogram") {
        for (const [q, name] of [[0.5, "p50"], [0.9, "p90"], [0.99, "p99"]]) {
          const pts = [];
          s.points.forEach((p, i) => {
            let counts = p.bucket_counts || [];
            const prev = s.points[i - 1];
            if (page.instrument.temporality === "cumulative" && prev && prev.bucket_counts?.length === counts.length) {
              const delta = counts.map((c, j) => c - prev.bucket_counts[j]);
              if (delta.every(d => d >= 0) && delta.some(d => d > 0)) counts = delta;
            }
            const v = quantile(p.bounds || [], counts, q);
            if (v !== null) pts.push([DS.ms(p.time), v]);
          });
          out.push({ label: `${label} ${name}`, points: pts });
        }
      } else {
        out.push({ label, points: s.points.map(p => [DS.ms(p.time), p.value]) });
      }
    }
    return out.slice(0, 12);
  }

  function niceTicks(min, max, count) {
    if (min === max) { max = min + 1; min = min - (min === 0 ? 0 : 1); }
    const step0 = (max - min) / count, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= step0);
    const ticks = [];
    for (let v = Math.floor(min / step) * step; v <= max + step * 0.5 && ticks.length < 20; v += step) ticks.push(v);
    return ticks;
  }

  function chart(series, unit) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const W = Math.max(400, view.clientWidth - 30), H = 340, L = 64, R = 14, T = 12, B = 28;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("id", "chart");
    const add = (tag, attrs, text) => { const n = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); if (text !== undefined) n.textContent = text; svg.append(n); return n; };
    const all = series.flatMap(s => s.points);
    if (!all.length) { add("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No data points yet"); return svg; }
    const xs = all.map(p => p[0]), ys = all.map(p => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs) > x0 ? Math.max(...xs) : x0 + 1000;
    const yt = niceTicks(Math.min(0, ...ys), Math.max(...ys), 5);
    const y0 = yt[0], y1 = yt[yt.length - 1];
    const sx = x => L + (W - L - R) * (x - x0) / (x1 - x0), sy = y => H - B - (H - B - T) * (y - y0) / (y1 - y0 || 1);
    for (const v of yt) {
      add("line", { class: "grid", x1: L, x2: W - R, y1: sy(v), y2: sy(v) });
      add("text", { x: L - 6, y: sy(v) + 4, "text-anchor": "end" }, DS.number(v));
    }
    for (let i = 0; i <= 4; i++) {
      const t = x0 + (x1 - x0) * i / 4;
      add("text", { x: sx(t), y: H - 8, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, DS.time(new Date(t).toISOString(), x1 - x0 < 20000));
    }
    add("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B });
    add("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B });
    if (unit) add("text", { x: 4, y: T + 4 }, unit);
    series.forEach((s, i) => {
      const color = DS.palette[i % DS.palette.length];
      const pts = s.points.slice().sort((a, b) => a[0] - b[0]);
      if (pts.length > 1) add("polyline", { points: pts.map(p => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2, "data-series": s.label });
      for (const p of pts.slice(-60)) {
        add("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: color })
          .append(Object.assign(document.createElementNS(ns, "title"), { textContent: `${s.label}: ${DS.number(p[1])} ${unit || ""} at ${DS.time(new Date(p[0]).toISOString())}` }));
      }
      s.color = color;
    });
    return svg;
  }

  async function refreshChart() {
    if (!selected) { view.replaceChildren(el("div", { class: "panel empty" }, "Select an instrument.")); return; }
    DS.setParams({ resource: selected.resource, name: selected.name });
    const params = new URLSearchParams(Object.assign({ resource: selected.resource, name: selected.name }, Object.fromEntries(Object.entries(filters).filter(([, v]) => v))));
    let page;
    try { page = await api(`/api/telemetry/metrics/series?${params}`); }
    catch (e) { view.replaceChildren(el("div", { class: "panel empty" }, e.message)); return; }
    const i = page.instrument;
    const dims = Object.entries(page.dimensions).map(([key, values]) => {
      const s = el("select", { "data-dimension": key, onchange: e => { filters[key] = e.target.value; refreshChart(); } },
        el("option", { value: "" }, `${key}: all`), values.map(v => el("option", { value: v }, `${key}: ${v}`)));
      s.value = filters[key] ?? "";
      return s;
    });
    const series = lines(page);
    const svg = chart(series, i.unit);
    const latest = page.series.map(s => { const p = s.points[s.points.length - 1]; return { s, p }; });
    view.replaceChildren(
      el("div", { class: "panel chart" },
        el("h1", { style: { marginBottom: "2px" } }, el("span", { class: "mono" }, i.name), el("span", { class: "badge" }, i.kind), i.unit ? el("span", { class: "badge info" }, i.unit) : null),
        el("div", { class: "muted", style: { marginBottom: "10px" } }, DS.resourceChip(i.resource), i.description || "", i.temporality !== "unspecified" ? ` · ${i.temporality}` : ""),
        dims.length ? el("div", { class: "toolbar" }, dims) : null,
        svg,
        el("div", { class: "legend" }, series.map(s => el("span", { class: "chip" }, el("span", { class: "dot", style: { background: s.color } }), s.label)))),
      el("h2", {}, "Latest values"),
      el("div", { class: "panel" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Dimensions", "Time", i.kind === "histogram" ? "Count / sum" : "Value"].map(h => el("th", {}, h)))),
        el("tbody", {}, latest.map(({ s, p }) => el("tr", {},
          el("td", { class: "mono" }, Object.entries(s.attributes).map(([k, v]) => `${k}=${v}`).join(", ") || "—"),
          el("td", { class: "mono" }, DS.time(p.time)),
          el("td", { class: "mono" }, i.kind === "histogram" ? `${p.count} / ${DS.number(p.sum ?? 0)}` : DS.number(p.value))))))));
  }

  refreshList().then(() => { refreshChart(); DS.live(async () => { await refreshList(); await refreshChart(); }, ["metrics"], 2000, 10000); });
})();
