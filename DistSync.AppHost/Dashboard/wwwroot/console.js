// Console page: a resource's stdout/stderr, tailed by sequence number.
"use strict";
(() => {
  const { el, api } = DS;
  const main = DS.shell("/console", "Console");
  const select = el("select", { id: "resource" });
  const follow = el("input", { type: "checkbox", checked: true });
  const out = el("div", { class: "console", id: "console" });
  main.append(el("h1", {}, "Console", el("span", { class: "live" }, "live")),
    el("div", { class: "toolbar" }, select, el("label", { class: "check" }, follow, "Follow"), el("button", { onclick: () => out.replaceChildren() }, "Clear")),
    out);
  let after = 0;
  let resource = DS.param("resource");

  select.addEventListener("change", () => { resource = select.value; DS.setParams({ resource }); out.replaceChildren(); after = 0; tail(); });

  async function loadResources() {
    const resources = await api("/api/resources");
    DS.options(select, resources.map(r => r.name), resource);
    resource = select.value;
  }

  async function tail() {
    if (!resource) return;
    const page = await api(`/api/console/${encodeURIComponent(resource)}?after=${after}&max=1000`);
    if (page.resource !== resource) return;
    for (const line of page.lines) {
      out.append(el("div", { class: "line" }, el("span", { class: "seq" }, line.sequence), el("span", { class: "time" }, DS.time(line.time)),
        el("span", { class: line.is_error ? "err" : "" }, line.text)));
    }
    after = page.last_sequence;
    while (out.childElementCount > 5000) out.firstElementChild.remove();
    if (page.lines.length && follow.checked) out.scrollTop = out.scrollHeight;
    if (!out.childElementCount) out.append(el("div", { class: "muted" }, "No output yet."));
    else out.querySelector(":scope > .muted")?.remove();
  }

  loadResources().then(() => { DS.live(loadResources, ["resources"], 2000, 10000); setInterval(tail, 1000); tail(); });
})();
