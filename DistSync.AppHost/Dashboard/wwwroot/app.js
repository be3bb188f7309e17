// Shared helpers for every dashboard page: navigation, API calls, formatting, live refresh.
"use strict";

const DS = (() => {
  const icons = {
    resources: '<path d="M4 5h16v5H4zM4 14h16v5H4z"/><circle cx="7.5" cy="7.5" r=".8"/><circle cx="7.5" cy="16.5" r=".8"/>',
    console: '<path d="M4 5h16v14H4z"/><path d="M7 10l3 2-3 2M12 15h5"/>',
    logs: '<path d="M5 6h14M5 10h14M5 14h10M5 18h8"/>',
    traces: '<path d="M4 6h9M7 10h10M10 14h7M6 18h6"/>',
    metrics: '<path d="M4 19V5M4 19h16"/><path d="M7 15l4-5 3 3 5-7"/>',
    cluster: '<circle cx="12" cy="5.5" r="2.5"/><circle cx="5.5" cy="17.5" r="2.5"/><circle cx="18.5" cy="17.5" r="2.5"/><path d="M10.8 7.7L6.8 15.3M13.2 7.7l4 7.6M8 17.5h8"/>',
  };
  const pages = [
    ["/", "Resources", "resources"], ["/console", "Console", "console"], ["/logs", "Structured logs", "logs"],
    ["/traces", "Traces", "traces"], ["/metrics", "Metrics", "metrics"], ["/cluster", "Cluster", "cluster"],
  ];
  const palette = ["#8b7cf6", "#3bb0ff", "#3fb950", "#f2a33a", "#f778ba", "#56d4c8", "#e5534b", "#c9d05c", "#b083f0", "#79c0ff"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "html") node.innerHTML = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "style" && typeof v === "object") Object.assign(node.style, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function shell(active, title) {
    const nav = el("nav", { class: "nav" }, pages.map(([href, label, icon]) =>
      el("a", { href, class: href === active ? "active" : null, "data-page": icon },
        el("span", { html: `<svg viewBox="0 0 24 24">${icons[icon]}</svg>` }), label)));
    const logout = el("form", { method: "post", action: "/logout" }, el("button", { class: "small", type: "submit" }, "Log out"));
    const sidebar = el("aside", { class: "sidebar" },
      el("div", { class: "brand" }, el("span", { class: "logo" }), "DistSync"), nav,
      el("div", { class: "foot" }, "Observability dashboard", el("br"), logout));
    const main = el("main", { id: "main" });
    document.body.append(el("div", { class: "layout" }, sidebar, main));
    document.title = `${title} · DistSync`;
    return main;
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ headers: { Accept: "application/json" } }, options || {}));
    if (response.status === 401) { location.href = "/login"; throw new Error("not logged in"); }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      const error = new Error(detail); error.status = response.status; throw error;
    }
    return response.json();
  }

  function toast(text) {
    const t = el("div", { class: "toast", role: "status" }, text);
    document.body.append(t);
    setTimeout(() => t.remove(), 3000);
  }

  // Refreshes when the server says something changed (SSE), at most once per interval, and polls as a fallback.
  function live(refresh, kinds, minIntervalMs = 1000, pollMs = 5000) {
    let running = false, pending = false, last = 0;
    async function run() {
      if (running) { pending = true; return; }
      running = true; last = Date.now();
      try { await refresh(); } catch (e) { console.warn(e); }
      running = false;
      if (pending) { pending = false; schedule(); }
    }
    function schedule() { setTimeout(run, Math.max(0, minIntervalMs - (Date.now() - last))); }
    if (kinds && kinds.length && window.EventSource) {
      const source = new EventSource("/api/events");
      source.addEventListener("changed", e => { if (kinds.includes(e.data)) schedule(); });
    }
    setInterval(run, pollMs);
    run();
    return schedule;
  }

  function colorFor(name) {
    let h = 0;
    for (const ch of String(name)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return palette[h % palette.length];
  }

  const resourceChip = name => el("span", { class: "chip" }, el("span", { class: "dot", style: { background: colorFor(name) } }), name);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  function time(iso, withMs = true) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` + (withMs ? `.${pad(d.getMilliseconds(), 3)}` : "");
  }
  // Milliseconds since the epoch keeping sub-millisecond digits (the API sends 100 ns precision).
  function ms(iso) {
    const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$/.exec(iso || "");
    if (!m) return Date.parse(iso);
    return Date.parse(m[1] + m[3]) + (m[2] ? parseFloat("0" + m[2]) * 1000 : 0);
  }
  const dateTime = iso => iso ? `${new Date(iso).toLocaleDateString()} ${time(iso, false)}` : "";
  function duration(ms) {
    if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
    if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
    return `${(ms / 1000).toFixed(2)} s`;
  }
  function number(v) {
    if (v === null || v === undefined) return "";
    if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(2);
    return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(Math.abs(v) < 10 ? 3 : 1);
  }
  function kv(obj) {
    const entries = Object.entries(obj || {});
    if (!entries.length) return el("div", { class: "muted" }, "none");
    return el("div", { class: "kv" }, entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [el("div", { class: "k" }, k), el("div", { class: "v" }, v)]));
  }
  function stateBadge(state) {
    const cls = { Healthy: "ok", Running: "info", Starting: "warn", Unhealthy: "err", Exited: "err", FailedToStart: "err", Stopped: "" }[state] ?? "";
    return el("span", { class: `badge ${cls}`, "data-state": state }, state);
  }
  function levelBadge(level) {
    const cls = { trace: "", debug: "", information: "info", warning: "warn", error: "err", critical: "err" }[level] ?? "";
    return el("span", { class: `badge ${cls}` }, level);
  }
  const param = name => new URLSearchParams(location.search).get(name);
  function setParams(values) {
    const url = new URL(location.href);
    for (const [k, v] of Object.entries(values)) { if (v) url.searchParams.set(k, v); else url.searchParams.delete(k); }
    history.replaceState(null, "", url);
  }
  function options(select, values, current, anyLabel) {
    const keep = current ?? select.value;
    select.replaceChildren(...(anyLabel ? [el("option", { value: "" }, anyLabel)] : []), ...values.map(v => el("option", { value: v }, v)));
    if ([...select.options].some(o => o.value === keep)) select.value = keep;
  }

  return { el, shell, api, toast, live, colorFor, palette, ms, resourceChip, time, dateTime, duration, number, kv, stateBadge, levelBadge, param, setParams, options };
})();
