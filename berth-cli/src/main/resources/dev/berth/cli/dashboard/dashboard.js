// berth's admin dashboard: reads /api/* and reloads when /api/events says the trail changed.
"use strict";

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}

function fill(id, items, columns, rowClass) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  for (const item of items) {
    const tr = document.createElement("tr");
    if (rowClass) tr.className = rowClass(item);
    for (const c of columns) cell(tr, typeof c === "function" ? c(item) : item[c],
        c === "reason" ? "reason" : undefined);
    body.appendChild(tr);
  }
}

function when(item) {
  return (item.time || "").replace("T", " ").slice(0, 19);
}

async function json(url) {
  const r = await fetch(url, {cache: "no-store"});
  return r.json();
}

async function refresh() {
  const [overview, refusals, chain] = await Promise.all([
    json("/api/overview"), json("/api/refusals"), json("/api/chain")]);
  fill("users", overview.users || [], ["user", "uid", "role", "running", "containers",
    u => u.quotaContainers ? u.running + " / " + u.quotaContainers : "—", "volumes", "images"]);
  fill("rules", Object.entries(refusals.byRule || {}).map(([rule, n]) => ({rule, n})),
    ["rule", "n"]);
  fill("refusals", (refusals.recent || []).slice(0, 15),
    [when, "user", "action", "rule", "reason"]);
  const badge = document.getElementById("chain");
  badge.textContent = chain.ok ? "audit chain: ok, " + chain.records + " records"
      : "audit chain: BROKEN " + (chain.problem || "");
  badge.className = "badge " + (chain.ok ? "ok" : "broken");
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  await search();
}

async function search(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams(new FormData(document.getElementById("search")));
  const hits = await json("/api/audit?" + params);
  fill("results", hits.slice(0, 50), ["seq", when, "user", "decision",
    h => h.method + " " + h.path, "rule"], h => h.decision);
}

function live() {
  const badge = document.getElementById("live");
  const events = new EventSource("/api/events");
  events.addEventListener("changed", () => refresh());
  events.onopen = () => { badge.textContent = "live"; badge.className = "badge on"; };
  events.onerror = () => { badge.textContent = "reconnecting…"; badge.className = "badge off"; };
}

document.getElementById("search").addEventListener("submit", search);
live();
