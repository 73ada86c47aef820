"use strict";
// The sandbox chat page: plain JavaScript over the JSON control API (bot/sandbox/__init__.py)
// and, when the demo runs, its people and clock (/sandbox/demo/..., bot/sandbox/hooks.py).
// Everything the bot or a user wrote is put on the page as text nodes or through the
// entities the sandbox parsed; nothing is ever assigned to innerHTML.

const LABELS = {
  en: {
    demoClock: "Demo clock", runAt: "Run what is due at", run: "Run", users: "Users",
    newUser: "New user", userId: "user id", firstName: "first name", phone: "phone (+86…)",
    language: "language (zh-hans, en)", add: "Add", pickUser: "Pick a user on the left.",
    forwardRumour: "Forward a sample rumour", block: "Block the bot", unblock: "Unblock the bot",
    writeMessage: "Write a message… (/start to begin)", send: "Send",
    admin: "admin", leader: "leader", member: "member", unlinked: "not linked",
    blocked: "blocked", digest: "gets the digest", edited: "edited", noMessages: "No messages yet.",
    prompt: "prompt", reminder: "reminder", deadline: "deadline", digestTime: "digest",
    queued: "Queued: {what}", nothingDue: "Nothing was due.", now: "Now: {time}",
    forwardedFrom: "Forwarded from {who}", forwarded: "Forwarded message",
    rumourSource: "Family group", contact: "Contact: {name} {phone}", bytes: "{n} bytes",
    error: "Error: {message}",
    kinds: {prompt: "prompts", reminder: "reminders", digest: "digests", alert: "alerts",
            notice: "notices"},
  },
  zh: {
    demoClock: "演示时钟", runAt: "运行此时刻到期的任务：", run: "运行", users: "用户",
    newUser: "新用户", userId: "用户 ID", firstName: "名字", phone: "手机号（+86…）",
    language: "语言（zh-hans、en）", add: "添加", pickUser: "请在左侧选择一位用户。",
    forwardRumour: "转发一条示例谣言", block: "屏蔽机器人", unblock: "取消屏蔽",
    writeMessage: "输入消息……（发送 /start 开始）", send: "发送",
    admin: "管理员", leader: "负责人", member: "成员", unlinked: "未绑定",
    blocked: "已屏蔽", digest: "接收汇总", edited: "已编辑", noMessages: "还没有消息。",
    prompt: "每日提醒", reminder: "催报", deadline: "截止", digestTime: "汇总",
    queued: "已排队：{what}", nothingDue: "此时没有到期的任务。", now: "当前：{time}",
    forwardedFrom: "转发自 {who}", forwarded: "转发的消息",
    rumourSource: "家族群", contact: "联系人：{name} {phone}", bytes: "{n} 字节",
    error: "出错：{message}",
    kinds: {prompt: "每日提醒", reminder: "催报", digest: "汇总", alert: "异常预警",
            notice: "通知"},
  },
};
// The page's own labels follow the browser's first language; the bot's messages follow each
// user's own setting, as in Telegram.
const LANG = /^zh\b/i.test((navigator.languages && navigator.languages[0]) || navigator.language || "")
  ? "zh" : "en";
const L = LABELS[LANG];

function t(key, values) {
  let text = L[key] || LABELS.en[key] || key;
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

let current = null, version = -1, polling = 0;
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
  for (const id of ["text", "send", "rumour", "block"]) document.getElementById(id).disabled = !user;
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
  if (m.photo) div.append(el("img", {class: "photo", src: fileUrl(m.photo), alt: m.photo.file_name || "photo"}));
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

function showReplyKeyboard(messages) {
  const bar = document.getElementById("replykb");
  const last = [...messages].reverse().find(m => m.from === "bot" && m.reply_markup &&
    (m.reply_markup.keyboard || m.reply_markup.remove_keyboard));
  // As in Telegram, a one-time keyboard goes away once the user has answered.
  const used = last && last.reply_markup.one_time_keyboard &&
    messages.some(m => m.from === "user" && m.message_id > last.message_id);
  const rows = !used && last && last.reply_markup.keyboard;
  const input = document.getElementById("text");
  input.placeholder = (rows && last.reply_markup.input_field_placeholder) || t("writeMessage");
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
        const chat = document.getElementById("chat");
        chat.replaceChildren(...(data.messages.length ? data.messages.map(renderMessage)
                                                       : [el("p", {class: "empty"}, t("noMessages"))]));
        chat.scrollTop = chat.scrollHeight;
        showReplyKeyboard(data.messages);
      }
      WebAppPanel.menu(data.menu_button, user, e => toast(t("error", {message: e.message}), 5));
    } catch (e) {
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
  }
}

function select(id) {
  current = id;
  history.replaceState(null, "", `?user=${id}`);
  version = -1;
  polling += 1;
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
    .map(([kind, n]) => `${L.kinds[kind] || kind} ${n}`).join(LANG === "zh" ? "，" : ", ");
  result.textContent = what ? t("queued", {what}) : t("nothingDue");
  await loadClock();
}

// -- wiring -------------------------------------------------------------------------------------

function translatePage() {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
}

translatePage();
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
const wanted = Number(new URLSearchParams(location.search).get("user"));
loadClock().then(() => (wanted > 0 ? select(wanted) : loadUsers()));
setInterval(() => { loadUsers().catch(() => {}); loadClock(); }, 5000);
