"use strict";
// window.Telegram.WebApp for the dashboard: the part of Telegram's Mini App interface the page
// uses, built on the documented client protocol (core.telegram.org/api/web-events) so that
// nothing is fetched from telegram.org at run time:
// - launch parameters come in the URL's fragment: tgWebAppData (the signed initData),
//   tgWebAppThemeParams (JSON), tgWebAppVersion, tgWebAppPlatform;
// - the page calls the client with postEvent: TelegramWebviewProxy.postEvent on mobile and
//   desktop apps, window.external.notify, or postMessage to the parent frame on the web (and
//   in the sandbox's panel);
// - the client calls back with Telegram.WebView.receiveEvent(type, data), or a message
//   {eventType, eventData} from the parent frame.
(function () {
  const hash = new URLSearchParams(location.hash.slice(1));
  const stored = (() => { try { return sessionStorage; } catch (e) { return null; } })();
  // A reload keeps the fragment's data in sessionStorage, as Telegram's own script does.
  const param = name => {
    const value = hash.get(name);
    if (value !== null && stored) stored.setItem("__tg_" + name, value);
    return value !== null ? value : (stored && stored.getItem("__tg_" + name)) || "";
  };
  const initData = param("tgWebAppData");
  let themeParams = {};
  try { themeParams = JSON.parse(param("tgWebAppThemeParams") || "{}"); } catch (e) { themeParams = {}; }

  function postEvent(eventType, eventData) {
    const data = eventData === undefined ? "" : JSON.stringify(eventData);
    if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
      window.TelegramWebviewProxy.postEvent(eventType, data);
    } else if (window.external && "notify" in window.external) {
      window.external.notify(JSON.stringify({eventType, eventData}));
    } else if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({eventType, eventData}), "*");
    }
  }

  const handlers = {};
  function receiveEvent(eventType, eventData) {
    if (eventType === "theme_changed" && eventData && eventData.theme_params) {
      themeParams = eventData.theme_params;
      WebApp.themeParams = themeParams;
      applyTheme();
    }
    for (const handler of handlers[eventType] || []) handler(eventData);
  }
  window.addEventListener("message", event => {
    if (event.source !== window.parent) return;
    let message = null;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message && typeof message.eventType === "string") receiveEvent(message.eventType, message.eventData);
  });

  function on(eventType, handler) { (handlers[eventType] = handlers[eventType] || []).push(handler); }
  function off(eventType, handler) {
    handlers[eventType] = (handlers[eventType] || []).filter(h => h !== handler);
  }

  function applyTheme() {
    const style = document.documentElement.style;
    for (const [key, value] of Object.entries(themeParams)) {
      if (/^#[0-9a-f]{3,8}$/i.test(String(value))) {
        style.setProperty(`--tg-theme-${key.replace(/_/g, "-")}`, value);
      }
    }
    const bg = themeParams.bg_color || "#ffffff";
    const rgb = bg.length === 7 ? [1, 3, 5].map(i => parseInt(bg.slice(i, i + 2), 16)) : [255, 255, 255];
    WebApp.colorScheme = (rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114) / 1000 < 128 ? "dark" : "light";
    document.documentElement.dataset.scheme = WebApp.colorScheme;
  }

  function button(kind, setupEvent, pressedEvent) {
    const state = {isVisible: false, isActive: true, text: ""};
    const send = () => postEvent(setupEvent, kind === "main"
      ? {is_visible: state.isVisible, is_active: state.isActive, text: state.text}
      : {is_visible: state.isVisible});
    return Object.assign(state, {
      setText(text) { state.text = String(text); if (state.isVisible) send(); return this; },
      show() { state.isVisible = true; send(); return this; },
      hide() { state.isVisible = false; send(); return this; },
      enable() { state.isActive = true; if (state.isVisible) send(); return this; },
      disable() { state.isActive = false; if (state.isVisible) send(); return this; },
      onClick(handler) { on(pressedEvent, handler); return this; },
      offClick(handler) { off(pressedEvent, handler); return this; },
    });
  }

  const WebApp = {
    initData,
    initDataUnsafe: Object.fromEntries(new URLSearchParams(initData)),
    version: param("tgWebAppVersion") || "6.0",
    platform: param("tgWebAppPlatform") || "unknown",
    themeParams,
    colorScheme: "light",
    isExpanded: false,
    ready() { postEvent("web_app_ready"); },
    expand() { WebApp.isExpanded = true; postEvent("web_app_expand"); },
    close() { postEvent("web_app_close"); },
    onEvent: on,
    offEvent: off,
    BackButton: button("back", "web_app_setup_back_button", "back_button_pressed"),
    MainButton: button("main", "web_app_setup_main_button", "main_button_pressed"),
  };
  try { WebApp.initDataUnsafe.user = JSON.parse(WebApp.initDataUnsafe.user || "null"); } catch (e) { /* left as text */ }
  window.Telegram = Object.assign(window.Telegram || {}, {WebApp, WebView: {receiveEvent, postEvent}});
  applyTheme();
})();
