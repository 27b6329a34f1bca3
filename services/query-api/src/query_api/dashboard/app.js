// Leadpipe dashboard: plain browser JavaScript, no libraries. Every request carries the access
// token from POST /api/v1/auth/token; charts are SVG rendered by the server.
"use strict";

const TOKEN_KEY = "leadpipe.token";
const REGIONS = ["London", "South East", "East of England", "South West", "West Midlands",
  "East Midlands", "Yorkshire and The Humber", "North West", "North East", "Wales", "Scotland",
  "Northern Ireland", "Crown Dependencies", "Unknown"];
const SECTIONS = "ABCDEFGHIJKLMNOPQRSTU".split("");

const view = { sort: "entered_on", order: "desc", cursors: [null], page: 0, next: null };
let feedAbort = null;
let refreshTimer = null;

function $(id) { return document.getElementById(id); }

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = text(value);
  row.appendChild(td);
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && !headers.Authorization) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401 && !options.login) {
    signOut("Your session has ended; sign in again.");
    throw new Error("unauthorised");
  }
  return response;
}

async function json(path) {
  const response = await api(path);
  if (!response.ok) throw new Error(path + ": " + response.status);
  return response.json();
}

async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  const user = $("username").value;
  const password = $("password").value;
  const response = await api("/api/v1/auth/token", {
    method: "POST",
    login: true,
    headers: { Authorization: "Basic " + btoa(unescape(encodeURIComponent(user + ":" + password))) },
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    $("login-error").textContent = body.detail || "Sign-in failed.";
    return;
  }
  const body = await response.json();
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  start();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (feedAbort) feedAbort.abort();
  if (refreshTimer) clearInterval(refreshTimer);
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function loadChart(id, name) {
  const response = await api("/api/v1/charts/" + name + ".svg");
  if (response.ok) $(id).innerHTML = await response.text();
}

async function loadTiles() {
  const stats = await json("/api/v1/stats");
  const tiles = [
    ["Companies tracked", stats.companies],
    ["In strike-off", stats.in_strike_off],
    ["Left strike-off", stats.left_strike_off],
    ["Officers", stats.officers],
    ["Contacts", stats.contacts],
    ["Synced to CRM", stats.contacts_synced],
  ];
  const box = $("tiles");
  box.replaceChildren();
  for (const [label, value] of tiles) {
    const tile = document.createElement("div");
    tile.className = "tile";
    const number = document.createElement("strong");
    number.textContent = text(value);
    const caption = document.createElement("span");
    caption.textContent = label;
    tile.append(number, caption);
    box.appendChild(tile);
  }
}

async function loadStatus() {
  const status = await json("/api/v1/status");
  const streams = $("streams").tBodies[0];
  streams.replaceChildren();
  for (const stream of status.streams) {
    const row = streams.insertRow();
    cell(row, stream.stream);
    cell(row, stream.state);
    cell(row, stream.last_event_at);
  }
  const jobs = await json("/api/v1/jobs?limit=10");
  const body = $("jobs").tBodies[0];
  body.replaceChildren();
  for (const job of jobs.items) {
    const row = body.insertRow();
    cell(row, job.job_type + " (" + job.service + ")");
    cell(row, job.state);
    cell(row, job.total ? job.done + " / " + job.total : job.done);
    cell(row, job.eta_seconds === null ? "" : Math.round(job.eta_seconds) + " s");
  }
}

function filterParams() {
  const params = new URLSearchParams();
  const form = new FormData($("filters"));
  for (const [name, value] of form.entries()) {
    if (value !== "") params.append(name, value);
  }
  return params;
}

async function loadLeads() {
  const params = filterParams();
  params.set("sort", view.sort);
  params.set("order", view.order);
  params.set("limit", "25");
  const cursor = view.cursors[view.page];
  if (cursor) params.set("cursor", cursor);
  const page = await json("/api/v1/companies?" + params.toString());
  const body = $("leads").tBodies[0];
  body.replaceChildren();
  for (const company of page.items) {
    const row = body.insertRow();
    row.dataset.company = company.company_number;
    for (const value of [company.company_number, company.company_name, company.entered_on,
      company.strike_off_kind, company.region, company.officer_count, company.domain,
      company.contact_count, company.synced_count, company.lead_score]) {
      cell(row, value);
    }
  }
  view.next = page.next_cursor;
  $("next").disabled = !page.next_cursor;
  $("prev").disabled = view.page === 0;
  $("page-label").textContent = "page " + (view.page + 1);
  for (const th of $("leads").tHead.rows[0].cells) {
    th.classList.toggle("sorted", th.dataset.sort === view.sort);
    th.dataset.order = th.dataset.sort === view.sort ? view.order : "";
  }
}

function resetPaging() {
  view.cursors = [null];
  view.page = 0;
}

async function exportAs(format) {
  const params = filterParams();
  params.set("format", format);
  $("export-state").textContent = "exporting…";
  const response = await api("/api/v1/exports/companies?" + params.toString());
  if (!response.ok) {
    $("export-state").textContent = "export failed (" + response.status + ")";
    return;
  }
  const total = Number(response.headers.get("X-Total-Count") || "0");
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    $("export-state").textContent = "exporting " + total + " rows… " + Math.round(received / 1024) + " KiB";
  }
  const blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  const disposition = response.headers.get("Content-Disposition") || "";
  link.download = (disposition.match(/filename="([^"]+)"/) || [])[1] || "leadpipe-export." + format;
  link.click();
  URL.revokeObjectURL(link.href);
  $("export-state").textContent = "exported " + total + " rows";
}

function showFeedEvent(kind, data) {
  const item = document.createElement("li");
  const when = (data.occurred_at || "").replace("T", " ").slice(0, 19);
  item.textContent = when + " " + kind + " " + text(data.company_number) + " " + text(data.company_name || data.reason);
  const list = $("feed");
  list.prepend(item);
  while (list.children.length > 20) list.lastChild.remove();
}

// Server-Sent Events over fetch (EventSource cannot send an Authorization header); on a
// dropped connection it resumes after the last id it saw with Last-Event-ID.
async function followFeed() {
  let lastId = null;
  for (;;) {
    feedAbort = new AbortController();
    try {
      const headers = lastId === null ? {} : { "Last-Event-ID": lastId };
      const response = await api("/api/v1/feed", { headers, signal: feedAbort.signal });
      if (!response.ok) throw new Error("feed " + response.status);
      $("live-state").textContent = "live";
      $("live-state").classList.add("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id = null, kind = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) id = line.slice(4);
            else if (line.startsWith("event: ")) kind = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (id !== null) lastId = id;
          if (data) {
            showFeedEvent(kind, JSON.parse(data));
            loadTiles().catch(() => {});
          }
        }
      }
    } catch (error) {
      if (feedAbort.signal.aborted) return;
    }
    $("live-state").textContent = "reconnecting";
    $("live-state").classList.remove("live");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function refresh() {
  await Promise.all([
    loadTiles(),
    loadStatus(),
    loadChart("chart-entries", "entries"),
    loadChart("chart-funnel", "funnel"),
    loadChart("chart-sectors", "sectors"),
    loadChart("chart-regions", "regions"),
    loadChart("chart-gauges", "gauges"),
  ]);
}

async function start() {
  $("login").hidden = true;
  $("app").hidden = false;
  try {
    const me = await json("/api/v1/auth/me");
    $("whoami").textContent = me.subject + " (" + me.role + ")";
    await Promise.all([refresh(), loadLeads()]);
    document.body.dataset.ready = "true";
  } catch (error) {
    return;
  }
  refreshTimer = setInterval(() => { refresh().catch(() => {}); }, 10000);
  followFeed();
}

function setUp() {
  for (const region of REGIONS) $("f-region").add(new Option(region, region));
  for (const section of SECTIONS) $("f-section").add(new Option(section, section));
  $("login-form").addEventListener("submit", (event) => { signIn(event).catch(() => {}); });
  $("logout").addEventListener("click", () => signOut(""));
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    resetPaging();
    loadLeads().catch(() => {});
  });
  for (const button of document.querySelectorAll(".exports button")) {
    button.addEventListener("click", () => { exportAs(button.dataset.format).catch(() => {}); });
  }
  for (const th of document.querySelectorAll("#leads th[data-sort]")) {
    th.addEventListener("click", () => {
      if (view.sort === th.dataset.sort) view.order = view.order === "desc" ? "asc" : "desc";
      else { view.sort = th.dataset.sort; view.order = "desc"; }
      resetPaging();
      loadLeads().catch(() => {});
    });
  }
  $("next").addEventListener("click", () => {
    if (!view.next) return;
    view.page += 1;
    view.cursors[view.page] = view.next;
    loadLeads().catch(() => {});
  });
  $("prev").addEventListener("click", () => {
    if (view.page === 0) return;
    view.page -= 1;
    loadLeads().catch(() => {});
  });
  if (sessionStorage.getItem(TOKEN_KEY)) start();
}

document.addEventListener("DOMContentLoaded", setUp);
