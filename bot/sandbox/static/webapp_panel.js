"use strict";
// Mini Apps on the sandbox chat page, as Telegram's web client opens them: a web_app button
// (or the chat's menu button) opens the page in a phone-sized panel, with initData signed by
// the sandbox for the chatting user (POST /sandbox/users/{id}/webapp) and the theme in the
// URL's fragment; the panel answers the page's web events (core.telegram.org/api/web-events):
// web_app_ready, web_app_expand, web_app_close, web_app_setup_back_button and
// web_app_setup_main_button, and sends back_button_pressed / main_button_pressed.
const WebAppPanel = (() => {
  const THEMES = {
    light: {bg_color: "#ffffff", text_color: "#000000", hint_color: "#999999",
            link_color: "#2481cc", button_color: "#2481cc", button_text_color: "#ffffff",
            secondary_bg_color: "#efeff3", destructive_text_color: "#e53935"},
    dark: {bg_color: "#212d3b", text_color: "#ffffff", hint_color: "#7d8b99",
           link_color: "#62bcf9", button_color: "#50a8eb", button_text_color: "#ffffff",
           secondary_bg_color: "#151e27", destructive_text_color: "#ef5b5b"},
  };
  let panel = null, frame = null, theme = "light", opened = null;
  // The page's own labels (app.js gives its table through labels(t)).
  let t = key => ({webappBack: "Back", webappClose: "Close", webappTheme: "Light / dark"})[key];

  function labels(translate) {
    t = translate;
    if (!panel) return;
    panel.querySelector("#webapp-back").setAttribute("aria-label", t("webappBack"));
    panel.querySelector("#webapp-close").setAttribute("aria-label", t("webappClose"));
    panel.querySelector("#webapp-theme").title = t("webappTheme");
  }

  function node(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) n.addEventListener(k.slice(2), v); else n.setAttribute(k, v);
    }
    n.append(...children);
    return n;
  }

  function send(eventType, eventData) {
    if (frame && frame.contentWindow) {
      frame.contentWindow.postMessage(JSON.stringify({eventType, eventData: eventData ?? null}), "*");
    }
  }

  function build() {
    panel = node("div", {id: "webapp-panel", role: "dialog", "aria-modal": "true", hidden: ""},
      node("div", {class: "wa-head"},
        node("button", {type: "button", id: "webapp-back", hidden: "", "aria-label": t("webappBack"),
                        onclick: () => send("back_button_pressed")}, "←"),
        node("span", {id: "webapp-title"}),
        node("button", {type: "button", id: "webapp-theme", title: t("webappTheme"),
                        onclick: () => { theme = theme === "light" ? "dark" : "light";
                                         send("theme_changed", {theme_params: THEMES[theme]}); }}, "◐"),
        node("button", {type: "button", id: "webapp-close", "aria-label": t("webappClose"), onclick: close}, "✕")),
      node("iframe", {id: "webapp-frame", title: "Mini App"}),
      node("button", {type: "button", id: "webapp-main", hidden: "",
                      onclick: () => send("main_button_pressed")}));
    document.body.append(panel);
    frame = panel.querySelector("iframe");
    window.addEventListener("message", event => {
      if (!frame || event.source !== frame.contentWindow) return;
      let message = null;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message.eventType, message.eventData || {});
    });
  }

  function handle(type, data) {
    if (type === "web_app_close") close();
    else if (type === "web_app_ready") panel.dataset.ready = "true";
    else if (type === "web_app_expand") panel.dataset.expanded = "true";
    else if (type === "web_app_setup_back_button") panel.querySelector("#webapp-back").hidden = !data.is_visible;
    else if (type === "web_app_setup_main_button") {
      const main = panel.querySelector("#webapp-main");
      main.hidden = !data.is_visible;
      main.disabled = data.is_active === false;
      main.textContent = data.text || "";
    } else if (type === "web_app_request_theme") send("theme_changed", {theme_params: THEMES[theme]});
  }

  async function open(url, title, userId) {
    if (!panel) build();
    const response = await fetch(`/sandbox/users/${userId}/webapp`, {method: "POST"});
    if (!response.ok) throw new Error(response.statusText);
    const {init_data: initData} = await response.json();
    const launch = new URLSearchParams({
      tgWebAppData: initData, tgWebAppVersion: "7.10", tgWebAppPlatform: "web",
      tgWebAppThemeParams: JSON.stringify(THEMES[theme]),
    });
    panel.querySelector("#webapp-title").textContent = title;
    panel.querySelector("#webapp-back").hidden = true;
    panel.querySelector("#webapp-main").hidden = true;
    delete panel.dataset.ready;
    frame.src = `${url.split("#")[0]}#${launch}`;
    panel.hidden = false;
    opened = url;
  }

  function close() {
    if (!panel) return;
    panel.hidden = true;
    frame.src = "about:blank";
    opened = null;
  }

  // The chat's menu button, beside the message field (Telegram shows it there).
  function menu(button, userId, onError) {
    let control = document.getElementById("menu-button");
    const form = document.getElementById("compose");
    if (!control && form) {
      control = node("button", {type: "button", id: "menu-button", hidden: ""});
      form.prepend(control);
    }
    if (!control) return;
    const webApp = button && button.type === "web_app";
    control.hidden = !webApp;
    if (!webApp) return;
    // A leading emoji is the button's face on a phone, where the words make room for the
    // message field (style.css); the words stay its accessible name.
    const parts = button.text.match(/^(\p{Extended_Pictographic}\uFE0F?)\s*(\S.*)$/su);
    control.replaceChildren(...(parts ? [node("span", {class: "face"}, parts[1]),
                                         node("span", {class: "words"}, ` ${parts[2]}`)]
                                      : [button.text]));
    control.title = button.text;
    control.setAttribute("aria-label", button.text);
    control.onclick = () => open(button.web_app.url, button.text, userId).catch(onError);
  }

  return {open, close, menu, labels, get opened() { return opened; }};
})();
