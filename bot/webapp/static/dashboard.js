"use strict";
// The dashboard page: signs in once with Telegram's initData (POST /webapp/api/session), then
// calls the API with the session token. Everything from the server is put on the page as text
// nodes; the only markup taken is the trend's SVG, parsed as SVG (no scripts run in it).
const tg = window.Telegram.WebApp;
const state = {token: null, L: {}, stack: [], unit: null, sort: {key: null, dir: 1},
               tab: "units", days: 14};
// Before sign-in the server's words are not there yet: the two messages the page may need,
// in the language of the user's Telegram app.
const EARLY = /^zh/i.test((tg.initDataUnsafe.user && tg.initDataUnsafe.user.language_code) || "zh")
  ? {closed: "无法打开看板：请关闭后从聊天中重新打开。", error: "出错了，请稍后再试。"}
  : {closed: "The dashboard could not open: close it and open it again from the chat.",
     error: "Something went wrong. Please try again."};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter(c => c !== null && c !== undefined).map(c => (typeof c === "number" ? String(c) : c)));
  return node;
}
const L = key => state.L[key] || key;

function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method, headers: {"Content-Type": "application/json", "Authorization": `Bearer ${state.token}`},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (response.status === 401) throw new Error(L("session") === "session" ? EARLY.closed : L("session"));
  if (!response.ok && !data.message) throw new Error(L("error"));
  return Object.assign(data, {ok: response.ok});
}

async function signIn() {
  // initData signs in once: a reload of the same launch keeps its session; a new launch
  // (another user, or opened again) signs in afresh.
  const saved = JSON.parse(sessionStorage.getItem("dashboard_session") || "null");
  if (saved && saved.init === tg.initData) { Object.assign(state, saved.state); return; }
  const response = await fetch("/webapp/api/session", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({init_data: tg.initData}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message || EARLY.closed);
  state.token = data.token;
  state.L = data.labels;
  state.locale = data.locale;
  sessionStorage.setItem("dashboard_session", JSON.stringify(
    {init: tg.initData, state: {token: state.token, L: state.L, locale: state.locale}}));
}

function percent(rate) { return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`; }

// -- units ------------------------------------------------------------------------------------

const COLUMNS = ["name", "expected", "reported", "rate", "abnormal", "late"];

function unitsView(u) {
  const head = el("tr", {}, ...COLUMNS.map(key => {
    const th = el("th", {"data-key": key, scope: "col",
                         onclick: () => { sortBy(key); render(); }}, L(key === "name" ? "unit" : key));
    if (state.sort.key === key) th.setAttribute("aria-sort", state.sort.dir > 0 ? "ascending" : "descending");
    return th;
  }));
  const rows = [...u.children];
  if (state.sort.key) {
    const k = state.sort.key;
    rows.sort((a, b) => {
      const x = a[k] === null ? -1 : a[k], y = b[k] === null ? -1 : b[k];
      return (typeof x === "string" ? x.localeCompare(y) : x - y) * state.sort.dir;
    });
  }
  const line = (r, cls) => el("tr", {class: cls, "data-unit-id": r.id === null ? "" : String(r.id)},
    el("td", {onclick: r.id !== null && cls === "unit" ? () => drill(r.id) : null}, r.name),
    el("td", {}, r.expected), el("td", {}, r.reported), el("td", {}, percent(r.rate)),
    el("td", {class: r.abnormal ? "abnormal" : ""}, r.abnormal), el("td", {}, r.late));
  const total = line({id: null, name: L("today"), ...u}, "total");
  return [
    u.day_off ? el("p", {class: "muted"}, L("dayOff")) : null,
    ...(u.verdict || []).map(text => el("p", {class: "verdict"}, text)),
    el("table", {id: "units"}, el("thead", {}, head),
       el("tbody", {}, total, ...rows.map(r => line(r, r.id === null ? "direct" : "unit")))),
  ];
}

function sortBy(key) {
  state.sort = {key, dir: state.sort.key === key ? -state.sort.dir : (key === "name" ? 1 : -1)};
}

async function drill(unitId) {
  state.stack.push(state.unit.unit.id);
  await load(unitId);
}

async function back() {
  const previous = state.stack.pop();
  if (previous !== undefined) await load(previous);
}

// -- missing, alerts ----------------------------------------------------------------------------

async function missingView(u) {
  const data = await call("GET", `/webapp/api/missing?unit=${u.unit.id}`);
  if (!data.missing.length) return [el("p", {class: "muted"}, L("nobodyMissing"))];
  return [
    el("p", {class: "muted"}, `${L("missing")}: ${data.missing_count}`),
    ...data.missing.map(g => el("div", {class: "group"}, el("h3", {}, g.unit),
      el("ul", {}, ...g.members.map(m => el("li", {}, m.name))))),
    el("button", {type: "button", class: "action", id: "remind", onclick: () => guarded(remind)}, L("remind")),
  ];
}

async function remind() {
  const answer = await call("POST", "/webapp/api/remind");
  toast(answer.message);
}

function alertsView(u) {
  if (!u.alerts.length) return [el("p", {class: "muted"}, L("noAlerts"))];
  return u.alerts.map(a => el("div", {class: "card", "data-alert-id": String(a.id)},
    el("div", {class: "row"}, el("strong", {}, a.member),
       el("button", {type: "button", class: "small handled", onclick: () => guarded(() => handled(a.id))}, L("handled"))),
    el("div", {class: "muted"}, `${a.unit} · ${a.day_text}` + (a.level ? ` · ${L("level")} ${a.level}` : ""))));
}

async function handled(alertId) {
  const answer = await call("POST", `/webapp/api/alerts/${alertId}/handled`);
  toast(answer.message);
  await load(state.unit.unit.id);
}

// -- trend, notices, export -------------------------------------------------------------------

async function trendView(u) {
  const data = await call("GET", `/webapp/api/trend?unit=${u.unit.id}&days=${state.days}`);
  const seg = el("div", {class: "seg"}, ...[14, 30].map(d => el("button", {
    type: "button", class: "small", "aria-pressed": String(state.days === d),
    onclick: () => { state.days = d; render(); }}, L(`days${d}`))));
  const svg = new DOMParser().parseFromString(data.svg, "image/svg+xml").documentElement;
  return [seg, document.importNode(svg, true)];
}

async function noticesView() {
  const data = await call("GET", "/webapp/api/notices");
  if (!data.notices.length) return [el("p", {class: "muted"}, L("noNotices"))];
  return data.notices.map(n => {
    const card = el("div", {class: "card notice", "data-notice-id": String(n.id)},
      el("div", {}, n.snippet),
      el("div", {class: "muted"}, `${n.target || ""} ${L("delivered")} ${n.delivered}/${n.recipients}` +
         (n.ack_required ? ` · ${L("acknowledged")} ${n.acknowledged}` : "")));
    card.addEventListener("click", () => guarded(async () => {
      const detail = await call("GET", `/webapp/api/notices/${n.id}`);
      card.querySelector(".pending")?.remove();
      card.append(el("div", {class: "pending"}, el("h3", {}, L("notAcknowledged")),
        ...detail.pending.map(g => el("div", {class: "group"}, el("h3", {}, g.unit),
          el("ul", {}, ...g.members.map(m => el("li", {}, m)))))));
    }), {once: true});
    return card;
  });
}

function exportView(u) {
  const today = u.day;
  const weekAgo = new Date(Date.parse(today) - 6 * 86400000).toISOString().slice(0, 10);
  const from = el("input", {type: "date", id: "export-from", value: weekAgo, max: today});
  const to = el("input", {type: "date", id: "export-to", value: today, max: today});
  return [
    el("label", {class: "field"}, L("from"), from), el("label", {class: "field"}, L("to"), to),
    el("button", {type: "button", class: "action", id: "export", onclick: () => guarded(async () => {
      const answer = await call("POST", "/webapp/api/export", {from: from.value, to: to.value});
      toast(answer.ok ? L("exportSent") : answer.message);
    })}, L("export")),
  ];
}

// -- wiring -------------------------------------------------------------------------------------

const VIEWS = {units: unitsView, missing: missingView, alerts: alertsView, trend: trendView,
               notices: noticesView, export: exportView};

async function render() {
  const u = state.unit;
  document.getElementById("unit-name").textContent = u.unit.name;
  document.getElementById("day").textContent = u.day_text;
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.textContent = L(tab.dataset.label) + (tab.dataset.tab === "alerts" && u.alerts.length ? ` (${u.alerts.length})` : "");
    tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
  }
  const nodes = await VIEWS[state.tab](u);
  document.getElementById("view").replaceChildren(...nodes.filter(Boolean));
  if (state.stack.length) tg.BackButton.show(); else tg.BackButton.hide();
}

async function load(unitId) {
  const data = await call("GET", "/webapp/api/summary" + (unitId ? `?unit=${unitId}` : ""));
  if (!data.ok) throw new Error(data.message);
  state.unit = data;
  await render();
}

async function guarded(action) {
  try { await action(); } catch (e) { toast(e.message); }
}

document.getElementById("tabs").addEventListener("click", event => {
  const tab = event.target.closest("button[data-tab]");
  if (!tab) return;
  state.tab = tab.dataset.tab;
  guarded(render);
});
tg.BackButton.onClick(() => guarded(back));
tg.ready();
tg.expand();
guarded(async () => {
  try {
    await signIn();
  } catch (e) {
    document.getElementById("status").textContent = e.message;
    return;
  }
  document.documentElement.lang = state.locale === "en" ? "en" : "zh-CN";
  document.title = L("title");
  document.getElementById("tabs").hidden = false;
  document.getElementById("status").textContent = L("loading");
  await load(null);
});
