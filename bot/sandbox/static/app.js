"use strict";
// The sandbox chat page: plain JavaScript over the JSON control API (bot/sandbox/__init__.py)
// and, when the demo runs, its people and clock (/sandbox/demo/..., bot/sandbox/hooks.py).
// Everything the bot or a user wrote is put on the page as text nodes or through the
// entities the sandbox parsed; nothing is ever assigned to innerHTML.

// The page's own labels, zh and en, from /static/labels.json (loaded before anything is shown).
// The page's language is ?lang=zh|en, else the one last picked with the switch (kept in this
// browser), else the browser's first language; the bot's messages follow each user's own
// setting, as in Telegram.
let LABELS = {en: {}, zh: {}};
let LANG = "en", L = LABELS.en;
const LANG_KEY = "selfreport.sandbox.lang";

function pageLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  let kept = null;
  try { kept = localStorage.getItem(LANG_KEY); } catch (e) { kept = null; }
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "";
  const wanted = asked || kept || browser;
  return /^zh\b/i.test(wanted) ? "zh" : "en";
}

function t(key, values) {
  let text = L[key] ?? LABELS.en[key] ?? key;
  for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(value);
  return text;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter(c => c !== null && c !== undefined));
  return node;
}

let current = null, version = -1, polling = 0, messages = [];
let users = [], people = new Map(), demoClock = null;

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: {"Content-Type": "application/json"},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) {
    const error = new Error((data && data.error) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function toast(text, seconds) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, (seconds || 3) * 1000);
}

async function guarded(action) {
  try { return await action(); } catch (e) { toast(t("error", {message: e.message}), 5); }
}

// -- users ------------------------------------------------------------------------------------

async function loadUsers() {
  users = await api("GET", "/sandbox/users");
  try {
    people = new Map((await api("GET", "/sandbox/demo/people")).map(p => [p.user_id, p]));
  } catch (e) {
    people = new Map();  // the sandbox alone: no units or roles to show
  }
  renderUsers();
}

function renderUsers() {
  const list = document.getElementById("users");
  list.replaceChildren(...users.map(u => {
    const p = people.get(u.id);
    const name = el("span", {class: "name"}, p ? p.name : `${u.first_name} ${u.last_name || ""}`.trim());
    const badges = [];
    if (p && (p.role === "admin" || p.role === "leader")) {
      badges.push(el("span", {class: `badge ${p.role}`, title: p.digest ? t("digest") : ""}, t(p.role)));
    }
    if (p && !p.linked) badges.push(el("span", {class: "badge unlinked"}, t("unlinked")));
    if (u.blocked) badges.push(el("span", {class: "badge blocked"}, t("blocked")));
    const detail = p ? `${p.unit} · ${t(p.role)}` : `${u.id} ${u.phone_number || ""}`;
    return el("div", {
      class: "user" + (u.id === current ? " active" : ""), role: "listitem",
      "data-user-id": String(u.id), onclick: () => select(u.id),
    }, name, ...badges, el("small", {}, detail));
  }));
  const user = users.find(u => u.id === current);
  const title = document.getElementById("chat-title");
  const blockButton = document.getElementById("block");
  if (user) {
    const p = people.get(user.id);
    title.textContent = p ? `${p.name} · ${p.unit}` : user.first_name;
    blockButton.textContent = user.blocked ? t("unblock") : t("block");
    blockButton.classList.toggle("on", user.blocked);
  }
  for (const id of ["text", "send", "attach", "contact", "rumour", "block"]) {
    document.getElementById(id).disabled = !user;
  }
}

// -- messages ---------------------------------------------------------------------------------

const SAFE_URL = /^(https?:|tg:|mailto:)/i;
const TAGS = {bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code",
              pre: "pre", blockquote: "blockquote", expandable_blockquote: "blockquote",
              spoiler: "span", text_link: "a", url: "a", text_mention: "b"};

// Entities use UTF-16 offsets, which is exactly how JavaScript indexes strings.
function renderText(text, entities) {
  const root = el("span");
  const points = new Set([0, text.length]);
  for (const e of entities || []) { points.add(e.offset); points.add(e.offset + e.length); }
  const cuts = [...points].filter(p => p >= 0 && p <= text.length).sort((a, b) => a - b);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const piece = text.slice(cuts[i], cuts[i + 1]);
    let node = document.createTextNode(piece);
    for (const e of entities || []) {
      if (!(e.offset <= cuts[i] && cuts[i + 1] <= e.offset + e.length) || !TAGS[e.type]) continue;
      const wrap = document.createElement(TAGS[e.type]);
      if (e.type === "spoiler") wrap.className = "spoiler";
      const href = e.type === "url" ? text.slice(e.offset, e.offset + e.length) : e.url;
      if (wrap.tagName === "A" && href && SAFE_URL.test(href)) {
        wrap.href = href; wrap.target = "_blank"; wrap.rel = "noopener noreferrer";
      }
      wrap.append(node);
      node = wrap;
    }
    root.append(node);
  }
  return root;
}

function formatTime(seconds) {
  const options = {dateStyle: "short", timeStyle: "short"};
  if (demoClock && demoClock.timezone) options.timeZone = demoClock.timezone;
  try {
    return new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : "en-GB", options).format(new Date(seconds * 1000));
  } catch (e) {
    return new Date(seconds * 1000).toLocaleString();
  }
}

function fileUrl(file) { return `/sandbox/files/${encodeURIComponent(file.file_id)}`; }

function renderMessage(m) {
  const div = el("div", {class: `msg ${m.from === "bot" ? "bot" : "user"}` + (m.deleted ? " deleted" : ""),
                         "data-message-id": String(m.message_id)});
  if (m.forward) {
    const who = m.forward.from_chat_title || m.forward.sender_user_name;
    div.append(el("div", {class: "forwarded"}, who ? t("forwardedFrom", {who}) : t("forwarded")));
  }
  if (m.photo) {
    // Its size, when the sandbox knows it, keeps the photo's room before it has loaded; once
    // it has, the newest message is brought back into view either way.
    const size = m.photo.width > 0 && m.photo.height > 0
      ? {width: String(m.photo.width), height: String(m.photo.height)} : {};
    div.append(el("img", {class: "photo", src: fileUrl(m.photo), alt: m.photo.file_name || t("photo"),
                          ...size, onload: () => { if (stick) toBottom(); }}));
  }
  if (m.document) {
    const name = m.document.file_name || "file";
    div.append(el("a", {class: "doc", href: fileUrl(m.document), download: name},
                  `📄 ${name} (${t("bytes", {n: m.document.file_size})})`), el("br"));
  }
  if (m.contact) {
    div.append(t("contact", {name: m.contact.first_name || "", phone: m.contact.phone_number || ""}));
  }
  const body = m.text ?? m.caption;
  if (body) div.append(renderText(body, m.entities));
  const keyboard = m.reply_markup && m.reply_markup.inline_keyboard;
  for (const row of (!m.deleted && keyboard) || []) {
    div.append(el("div", {class: "kb"}, ...row.map(b => el("button", {
      type: "button", class: "inline",
      onclick: () => (b.web_app ? guarded(() => WebAppPanel.open(b.web_app.url, b.text, current))
                     : b.url ? SAFE_URL.test(b.url) && window.open(b.url, "_blank", "noopener")
                     : guarded(() => press(m.message_id, b))),
    }, b.text))));
  }
  div.append(el("div", {class: "meta"}, formatTime(m.date) + (m.edited ? ` · ${t("edited")}` : "")));
  return div;
}

// The chat stays at its newest message unless the user has scrolled up to read: after a new
// message, once a photo has loaded, when the reply keyboard or the phone's keyboard takes room.
let stick = true, autoScrolledAt = 0;

function toBottom() {
  const chat = document.getElementById("chat");
  chat.scrollTop = chat.scrollHeight;
  stick = true;
  autoScrolledAt = Date.now();
}

function nearBottom(chat) { return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40; }

function renderChat() {
  const chat = document.getElementById("chat");
  chat.replaceChildren(...(messages.length ? messages.map(renderMessage)
                                           : [el("p", {class: "empty"}, t("noMessages"))]));
  showReplyKeyboard(messages);
  toBottom();
}

// The field's hint: on a phone the short one, which fits beside the composer's buttons.
const NARROW = window.matchMedia("(max-width: 600px)");

function writeHint() { return NARROW.matches ? t("writeMessageShort") : t("writeMessage"); }

function showReplyKeyboard(messages) {
  const bar = document.getElementById("replykb");
  const last = [...messages].reverse().find(m => m.from === "bot" && m.reply_markup &&
    (m.reply_markup.keyboard || m.reply_markup.remove_keyboard));
  // As in Telegram, a one-time keyboard goes away once the user has answered.
  const used = last && last.reply_markup.one_time_keyboard &&
    messages.some(m => m.from === "user" && m.message_id > last.message_id);
  const rows = !used && last && last.reply_markup.keyboard;
  const input = document.getElementById("text");
  input.placeholder = (rows && last.reply_markup.input_field_placeholder) || writeHint();
  bar.hidden = !rows;
  bar.replaceChildren(...(rows || []).flat().map(b => {
    const label = typeof b === "string" ? b : b.text;
    return el("button", {type: "button", onclick: () => guarded(() =>
      (b.request_contact ? send({contact: true}) : send({text: label})))}, label);
  }));
}

async function poll(token) {
  while (token === polling && current !== null) {
    try {
      const user = current;
      const data = await api("GET", `/sandbox/users/${user}/chat?since_version=${version}&wait=25`);
      if (token !== polling || user !== current) return;
      if (data.version !== version) {
        version = data.version;
        messages = data.messages;
        renderChat();
      }
      WebAppPanel.menu(data.menu_button, user, e => toast(t("error", {message: e.message}), 5));
    } catch (e) {
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
  }
}

function select(id) {
  current = id;
  const query = new URLSearchParams(location.search);
  query.set("user", String(id));
  history.replaceState(null, "", `?${query}`);
  document.body.classList.add("chatting");  // on a phone: the chat's screen, not the users'
  version = -1;
  polling += 1;
  messages = [];
  document.getElementById("chat").replaceChildren();
  document.getElementById("replykb").hidden = true;
  renderUsers();
  poll(polling);
  loadUsers();
}

async function send(body) {
  if (current === null) return;
  await api("POST", `/sandbox/users/${current}/send`, body);
  loadUsers();
}

async function press(messageId, button) {
  const body = {message_id: messageId};
  if (button.callback_data !== undefined) body.callback_data = button.callback_data;
  else body.button = button.text;
  const answer = await api("POST", `/sandbox/users/${current}/press`, body);
  if (answer.answered && answer.text) {
    if (answer.show_alert) alert(answer.text); else toast(answer.text);
  }
}

// -- the demo clock -----------------------------------------------------------------------------

const PRESET_LABELS = {prompt: "prompt", reminder: "reminder", deadline: "deadline", digest: "digestTime"};

async function loadClock() {
  try {
    demoClock = await api("GET", "/sandbox/demo/clock");
  } catch (e) {
    demoClock = null;
  }
  const strip = document.getElementById("clock");
  strip.hidden = !demoClock;
  if (!demoClock) return;
  const [day, clock] = demoClock.now.split("T");
  document.getElementById("clock-now").textContent =
    t("now", {time: `${day} ${clock.slice(0, 5)} (${demoClock.timezone})`});
  const date = document.getElementById("clock-date");
  if (!date.value) date.value = day;
  const presets = document.getElementById("clock-presets");
  const time = document.getElementById("clock-time");
  if (!time.value && demoClock.presets.length) time.value = demoClock.presets[0].time;
  if (!presets.childElementCount) {
    presets.replaceChildren(...demoClock.presets.map(p => el("button", {
      type: "button", "data-preset": p.name, "data-time": p.time,
      onclick: () => { document.getElementById("clock-time").value = p.time; },
    }, `${t(PRESET_LABELS[p.name] || p.name)} ${p.time}`)));
  }
}

async function runClock() {
  const day = document.getElementById("clock-date").value;
  const time = document.getElementById("clock-time").value;
  if (!day || !time) return;
  const result = document.getElementById("clock-result");
  result.textContent = "…";
  const answer = await api("POST", "/sandbox/demo/clock", {at: `${day}T${time}`});
  const what = Object.entries(answer.queued)
    .map(([kind, n]) => `${(L.kinds || {})[kind] || kind} ${n}`).join(t("listJoiner"));
  result.textContent = what ? t("queued", {what}) : t("nothingDue");
  await loadClock();
}

// -- wiring -------------------------------------------------------------------------------------

function translatePage() {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  // A label missing from the table leaves the English the page is written in.
  const label = key => (key in L || key in LABELS.en ? t(key) : null);
  for (const [attribute, set] of [
    ["i18n", (node, text) => { node.textContent = text; }],
    ["i18nPlaceholder", (node, text) => { node.placeholder = text; }],
    ["i18nTitle", (node, text) => { node.title = text; }],
    ["i18nAria", (node, text) => { node.setAttribute("aria-label", text); }],
  ]) {
    const selector = "[data-" + attribute.replace(/[A-Z]/g, c => "-" + c.toLowerCase()) + "]";
    for (const node of document.querySelectorAll(selector)) {
      const text = label(node.dataset[attribute]);
      if (text !== null) set(node, text);
    }
  }
  showReplyKeyboard(messages);
  WebAppPanel.labels(t);
}

function setLanguage(lang) {
  LANG = lang;
  L = LABELS[lang] || {};
  try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode: this page only */ }
  const query = new URLSearchParams(location.search);
  if (query.has("lang")) {
    query.set("lang", lang);
    history.replaceState(null, "", `?${query}`);
  }
  translatePage();
  renderUsers();
  if (current !== null) renderChat();
  document.getElementById("clock-presets").replaceChildren();
  document.getElementById("clock-result").textContent = "";
  loadClock();
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

document.getElementById("lang").addEventListener("click", () => setLanguage(LANG === "zh" ? "en" : "zh"));
document.getElementById("back").addEventListener("click", () => {
  document.body.classList.remove("chatting");
});
document.getElementById("attach").addEventListener("click", () => document.getElementById("file").click());
document.getElementById("file").addEventListener("change", event => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  guarded(async () => {
    const content = await readFile(file);
    await send(file.type.startsWith("image/")
      ? {photo: {content_base64: content}}
      : {document: {file_name: file.name, content_base64: content, mime_type: file.type || undefined}});
  });
});
NARROW.addEventListener("change", () => showReplyKeyboard(messages));
document.getElementById("contact").addEventListener("click", () => guarded(() => send({contact: true})));
const chatBox = document.getElementById("chat");
chatBox.addEventListener("scroll", () => {
  if (Date.now() - autoScrolledAt > 250) stick = nearBottom(chatBox);
});
// The chat's box shrinks when the reply keyboard shows or the phone's keyboard opens.
new ResizeObserver(() => { if (stick) toBottom(); }).observe(chatBox);
document.getElementById("compose").addEventListener("submit", event => {
  event.preventDefault();
  const input = document.getElementById("text");
  if (!input.value.trim()) return;
  const text = input.value;
  guarded(async () => { await send({text}); input.value = ""; });
});
document.getElementById("rumour").addEventListener("click", () => guarded(() => {
  const user = users.find(u => u.id === current);
  const rumours = (demoClock && demoClock.rumours) || {};
  const locale = user && /^en/i.test(user.language_code || "") ? "en" : "zh_CN";
  const text = rumours[locale] || rumours.zh_CN || "多吃大蒜能预防感染。";
  return send({forward: {text, from_chat_title: t("rumourSource")}});
}));
document.getElementById("block").addEventListener("click", () => guarded(async () => {
  const user = users.find(u => u.id === current);
  if (!user) return;
  await api("POST", `/sandbox/users/${user.id}/${user.blocked ? "unblock" : "block"}`);
  await loadUsers();
}));
document.getElementById("clock-run").addEventListener("click", () => guarded(runClock));
// On a phone the clock's controls fold away under its one line (style.css).
document.getElementById("clock-toggle").addEventListener("click", () => {
  const open = document.getElementById("clock").classList.toggle("open");
  const toggle = document.getElementById("clock-toggle");
  toggle.setAttribute("aria-expanded", String(open));
  toggle.textContent = open ? "▴" : "▾";
});
document.getElementById("new").addEventListener("submit", event => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {user_id: Number(form.get("user_id")), first_name: form.get("first_name")};
  for (const key of ["phone_number", "language_code"]) if (form.get(key)) body[key] = form.get(key);
  guarded(async () => {
    await api("POST", "/sandbox/users", body);
    event.target.reset();
    select(body.user_id);
  });
});
// ?user=ID opens that user's chat straight away.
(async () => {
  try {
    LABELS = await api("GET", "/static/labels.json");
  } catch (e) {
    LABELS = {en: {}, zh: {}};  // the English the page is written in stays
  }
  LANG = pageLanguage();
  L = LABELS[LANG] || {};
  translatePage();
  const wanted = Number(new URLSearchParams(location.search).get("user"));
  await loadClock();
  if (wanted > 0) select(wanted); else await loadUsers();
  setInterval(() => { loadUsers().catch(() => {}); loadClock(); }, 5000);
})();
