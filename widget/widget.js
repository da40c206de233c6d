/*!
 * Kuzey Destek storefront chat widget.
 * Embed with one tag:  <script src="https://HOST/widget/widget.js" defer></script>
 * Protocol: docs/live-chat.md (shopper namespace "/"). Plain ES2019, no build step.
 * Every text from the server is shown with textContent, never as HTML.
 */
(() => {
  "use strict";

  // A page that includes the tag twice must not get two launchers.
  if (window.__kuzeyDestekLoaded) return;
  window.__kuzeyDestekLoaded = true;

  const SESSION_KEY = "kuzey-destek-session"; // localStorage: survives reloads and new tabs
  const OPEN_KEY = "kuzey-destek-open"; // sessionStorage: open/closed per tab
  const MAX_LENGTH = 1000;
  const TYPING_THROTTLE_MS = 2000;
  const TYPING_IDLE_MS = 3000;
  const TYPING_SAFETY_MS = 30000; // hide a remote "typing" that never got its active:false
  const SEND_ERROR_WINDOW_MS = 10000; // an error this soon after a send belongs to that message
  const CALL_TIMEOUT_MS = 10000; // an acknowledged event (privacy_state, consent, end_session) not answered by then failed

  const STRINGS = {
    tr: {
      title: "Kuzey Destek",
      dialog: "Kuzey Destek sohbeti",
      open: "Canlı destek sohbetini aç",
      close: "Sohbeti kapat",
      unread: n => `${n} yeni mesaj`,
      statusBot: "Dijital asistan",
      // Parts are joined with " · " and each kept on one line.
      statusQueued: (pos, minutes) => [
        pos ? `Sıradaki yeriniz: ${pos}` : "Sırada bekliyorsunuz",
        minutes ? `tahmini bekleme ~${minutes} dk` : null
      ],
      statusAgent: name => `${name || "Müşteri temsilcimiz"} sizinle ilgileniyor`,
      statusTicket: "Mesai dışı: e-posta ile dönüş yapacağız",
      connecting: "Bağlanıyor…",
      reconnecting: "Bağlantı koptu, yeniden bağlanıyor…",
      loadFailed: "Sohbet yüklenemedi. Lütfen sayfayı yenileyin.",
      messages: "Sohbet mesajları",
      empty: "Merhaba! Sipariş, kargo, iade ya da ödemeyle ilgili sorunuzu yazın; dijital asistanımız hemen yanıtlasın.",
      inputLabel: "Mesajınız",
      placeholder: "Mesajınızı yazın…",
      send: "Gönder",
      quickReplies: "Hızlı yanıtlar",
      typingBot: "Asistan yazıyor…",
      typingAgent: name => `${name} yazıyor…`,
      dismiss: "Uyarıyı kapat",
      failed: "Gönderilemedi",
      you: "Siz",
      bot: "Asistan",
      system: "Bilgi",
      agent: "Müşteri temsilcisi",
      remaining: n => `${n} karakter kaldı`,
      // The privacy notice, marketing e-mails and "end chat" (docs/live-chat.md). The notice and
      // the marketing wording themselves come from the server, which records what was shown.
      noticeTitle: "Sohbete başlamadan önce",
      noticeFull: "Aydınlatma metninin tamamı",
      noticeAccept: "Anladım, sohbete başla",
      noticePath: "gizlilik",
      newTab: " (yeni sekmede açılır)",
      privacy: "Gizlilik",
      privacyMenu: "Gizlilik ve e-posta tercihleri",
      choiceSaved: "Tercihiniz kaydedildi.",
      choiceFailed: "Tercihiniz kaydedilemedi. Lütfen tekrar deneyin.",
      endChat: "Sohbeti bitir",
      endQuestion: "Sohbet bu cihazda bitirilsin mi? Mesajlar bu cihazdan kaldırılır ve sohbet bir daha açılamaz. Ortak kullanılan bir cihazdaysanız öneririz.",
      endYes: "Evet, sohbeti bitir",
      endNo: "Vazgeç",
      endFailed: "Sohbet bitirilemedi. Lütfen tekrar deneyin.",
      ended: "Sohbet bitirildi. Dilerseniz yeni bir sohbet başlatabilirsiniz."
    },
    en: {
      title: "Kuzey Market Support",
      dialog: "Kuzey Market support chat",
      open: "Open the support chat",
      close: "Close the chat",
      unread: n => (n === 1 ? "1 new message" : `${n} new messages`),
      statusBot: "Digital assistant",
      statusQueued: (pos, minutes) => [
        pos ? `Your place in the queue: ${pos}` : "You are in the queue",
        minutes ? `about ${minutes} min` : null
      ],
      statusAgent: name => `${name || "A support agent"} is helping you`,
      statusTicket: "Outside support hours: we will reply by e-mail",
      connecting: "Connecting…",
      reconnecting: "Connection lost, reconnecting…",
      loadFailed: "The chat could not be loaded. Please reload the page.",
      messages: "Chat messages",
      empty: "Hello! Ask about your order, shipping, returns or payment and our digital assistant will answer right away.",
      inputLabel: "Your message",
      placeholder: "Type your message…",
      send: "Send",
      quickReplies: "Quick replies",
      typingBot: "Assistant is typing…",
      typingAgent: name => `${name} is typing…`,
      dismiss: "Dismiss the alert",
      failed: "Not sent",
      you: "You",
      bot: "Assistant",
      system: "Info",
      agent: "Support agent",
      remaining: n => `${n} characters left`,
      noticeTitle: "Before you start",
      noticeFull: "Full privacy notice",
      noticeAccept: "OK, start chatting",
      noticePath: "en/privacy",
      newTab: " (opens in a new tab)",
      privacy: "Privacy",
      privacyMenu: "Privacy and e-mail preferences",
      choiceSaved: "Your choice has been saved.",
      choiceFailed: "Your choice could not be saved. Please try again.",
      endChat: "End chat",
      endQuestion: "End the chat on this device? The messages are removed from this device and the chat cannot be opened again. We recommend it on a shared device.",
      endYes: "Yes, end the chat",
      endNo: "Cancel",
      endFailed: "The chat could not be ended. Please try again.",
      ended: "The chat has ended. You can start a new one whenever you like."
    }
  };

  // ---- where we come from, and configuration -------------------------------------------

  // document.currentScript is set while a classic (also deferred) script runs; the lookup is a
  // fallback for loaders that inject the script in odd ways.
  const script = document.currentScript ||
    document.querySelector('script[src*="widget/widget.js"]');
  const scriptUrl = new URL(script ? script.src : "/widget/widget.js", window.location.href);
  const widgetBase = new URL("./", scriptUrl); // …/widget/
  const bridgeBase = new URL("../", widgetBase); // the bridge root, also behind a path prefix

  const config = window.KuzeyDestek && typeof window.KuzeyDestek === "object" ? window.KuzeyDestek : {};
  const dataset = (script && script.dataset) || {};

  function pickLanguage() {
    const wanted = config.language || dataset.language || document.documentElement.lang || "tr";
    return String(wanted).toLowerCase().startsWith("en") ? "en" : "tr";
  }

  const language = pickLanguage();
  const customerToken = config.customerToken || dataset.customerToken || null;
  const t = STRINGS[language];
  const noticeUrl = new URL(t.noticePath, bridgeBase).href; // the full notice, served by the bridge

  // ---- small helpers --------------------------------------------------------------------

  // Storage can throw (Safari private mode, blocked cookies): the chat still works, it just
  // does not survive a reload then.
  function storageGet(area, key) {
    try { return window[area].getItem(key); } catch (e) { return null; }
  }
  function storageSet(area, key, value) {
    try { window[area].setItem(key, value); } catch (e) { /* not persisted */ }
  }
  function storageRemove(area, key) {
    try { window[area].removeItem(key); } catch (e) { /* nothing stored */ }
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(name => {
        const value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "className") node.className = value;
        else if (name === "text") node.textContent = value;
        else node.setAttribute(name, value === true ? "" : value);
      });
    }
    (children || []).forEach(child => { if (child) node.appendChild(child); });
    return node;
  }

  // Icons are built as SVG nodes (no innerHTML anywhere in this file).
  function icon(pathData) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "kd-icon");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  const ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.3 1.3 0 1 0 0 2.6A1.3 1.3 0 0 0 7 10zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z";
  const ICON_CLOSE = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
  const ICON_SEND = "M3 20.5 21.5 12 3 3.5v6.6l12 1.9-12 1.9z";
  const ICON_SHIELD = "M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm0 2.2 6 2.2V11c0 4-2.6 7.7-6 8.9-3.4-1.2-6-4.9-6-8.9V6.4l6-2.2z";
  const ICON_END = "M13 3h-2v10h2V3zm4.8 2.2-1.4 1.4A6.9 6.9 0 0 1 19 12a7 7 0 1 1-11.4-5.4L6.2 5.2A9 9 0 1 0 21 12c0-2.7-1.2-5.1-3.2-6.8z";

  // Text with http(s) links as real <a> elements; everything else stays a text node.
  const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
  function appendLinkified(parent, text) {
    let last = 0;
    let match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      const raw = match[0];
      // Sentence punctuation right after a link is not part of it ("…/takip." or "(…/takip)").
      let trimmed = raw.replace(/[.,;:!?'"»]+$/, "");
      if (trimmed.slice(-1) === ")" && trimmed.indexOf("(") === -1) trimmed = trimmed.slice(0, -1);
      let href = null;
      try {
        const parsed = new URL(trimmed);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
      } catch (e) { href = null; }
      if (!href) continue;
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(el("a", {
        href: href, target: "_blank", rel: "noopener noreferrer", className: "kd-link", text: trimmed
      }));
      last = match.index + trimmed.length;
      URL_PATTERN.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(iso) {
    const date = iso ? new Date(iso) : new Date();
    if (isNaN(date.getTime())) return null;
    try {
      return date.toLocaleTimeString(language === "en" ? "en-GB" : "tr-TR", { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return null;
    }
  }

  function prefersReducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }
  function isFullScreen() {
    return !!(window.matchMedia && window.matchMedia("(max-width: 479.98px)").matches);
  }

  // ---- the DOM --------------------------------------------------------------------------

  const ui = {};

  function buildUi() {
    ui.badge = el("span", { className: "kd-badge", id: "kd-badge", "aria-hidden": "true", hidden: true });
    ui.launcher = el("button", {
      type: "button", id: "kd-launcher", className: "kd-launcher",
      "aria-label": t.open, "aria-expanded": "false", "aria-controls": "kd-panel"
    }, [icon(ICON_CHAT), ui.badge]);

    // Live, so a screen reader hears "your place in the queue…" and who took the chat.
    ui.status = el("p", { id: "kd-status", className: "kd-status", "data-state": "bot", "aria-live": "polite" });
    ui.close = el("button", { type: "button", className: "kd-close", id: "kd-close", "aria-label": t.close },
      [icon(ICON_CLOSE)]);
    const header = el("div", { className: "kd-header" }, [
      el("span", { className: "kd-avatar", "aria-hidden": "true", text: "K" }),
      el("div", { className: "kd-header-text" }, [
        el("h2", { id: "kd-title", className: "kd-title", text: t.title }),
        ui.status
      ]),
      ui.close
    ]);

    // Privacy and "end chat", always in view under the title; hidden while the notice is shown.
    ui.privacyToggle = el("button", {
      type: "button", id: "kd-privacy-toggle", className: "kd-tool", "aria-expanded": "false",
      "aria-controls": "kd-privacy-menu"
    }, [icon(ICON_SHIELD), el("span", { text: t.privacy })]);
    ui.endButton = el("button", {
      type: "button", id: "kd-end", className: "kd-tool", "aria-expanded": "false", "aria-controls": "kd-end-confirm"
    }, [icon(ICON_END), el("span", { text: t.endChat })]);
    ui.toolbar = el("div", { className: "kd-toolbar", id: "kd-toolbar" }, [ui.privacyToggle, ui.endButton]);

    ui.marketing = el("input", { type: "checkbox", id: "kd-marketing", className: "kd-checkbox" });
    ui.marketingText = el("span", { id: "kd-marketing-text" });
    ui.marketingLabel = el("label", { className: "kd-check", id: "kd-marketing-label" }, [ui.marketing, ui.marketingText]);
    ui.privacyStatus = el("p", { className: "kd-sheet-status", id: "kd-privacy-status", role: "status" });
    ui.privacyMenu = el("div", {
      id: "kd-privacy-menu", className: "kd-sheet", role: "group", "aria-label": t.privacyMenu, hidden: true
    }, [ui.marketingLabel, ui.privacyStatus, noticeLink("kd-privacy-link")]);

    ui.endYes = el("button", { type: "button", id: "kd-end-yes", className: "kd-button kd-button-danger", text: t.endYes });
    ui.endNo = el("button", { type: "button", id: "kd-end-no", className: "kd-button kd-button-plain", text: t.endNo });
    ui.endConfirm = el("div", {
      id: "kd-end-confirm", className: "kd-sheet", role: "group", "aria-labelledby": "kd-end-question", hidden: true
    }, [
      el("p", { id: "kd-end-question", className: "kd-sheet-text", text: t.endQuestion }),
      el("div", { className: "kd-sheet-actions" }, [ui.endYes, ui.endNo])
    ]);

    ui.connection = el("div", { id: "kd-connection", className: "kd-connection", role: "status", text: t.connecting });

    ui.alertText = el("span", { className: "kd-alert-text" });
    ui.alertClose = el("button", { type: "button", className: "kd-alert-close", "aria-label": t.dismiss },
      [icon(ICON_CLOSE)]);
    ui.alert = el("div", { id: "kd-alert", className: "kd-alert", role: "alert", hidden: true },
      [ui.alertText, ui.alertClose]);

    ui.empty = el("p", { className: "kd-empty", text: t.empty });
    // tabindex so keyboard users can scroll a long conversation.
    ui.messages = el("div", {
      id: "kd-messages", className: "kd-messages", role: "log", "aria-live": "polite",
      "aria-label": t.messages, tabindex: "0"
    }, [ui.empty]);

    ui.typing = el("div", { id: "kd-typing", className: "kd-typing", "aria-live": "polite", hidden: true }, [
      el("span", { className: "kd-typing-dots", "aria-hidden": "true" },
        [el("span"), el("span"), el("span")]),
      el("span", { className: "kd-typing-text" })
    ]);

    ui.input = el("textarea", {
      id: "kd-input", className: "kd-input", rows: "1", maxlength: String(MAX_LENGTH),
      placeholder: t.placeholder, autocomplete: "off", enterkeyhint: "send"
    });
    ui.counter = el("span", { className: "kd-counter", id: "kd-counter", "aria-live": "polite", hidden: true });
    ui.send = el("button", { type: "submit", id: "kd-send", className: "kd-send", "aria-label": t.send, disabled: true },
      [icon(ICON_SEND)]);
    ui.form = el("form", { className: "kd-composer", novalidate: true }, [
      el("label", { for: "kd-input", className: "kd-sr-only", text: t.inputLabel }),
      ui.input, ui.send, ui.counter
    ]);

    // The notice (aydınlatma) takes the composer's place until the shopper acknowledges it.
    ui.noticeText = el("p", { id: "kd-notice-text", className: "kd-notice-text" });
    ui.noticeMarketing = el("input", { type: "checkbox", id: "kd-notice-marketing", className: "kd-checkbox" });
    ui.noticeMarketingText = el("span", { id: "kd-notice-marketing-text" });
    ui.noticeAccept = el("button", {
      type: "button", id: "kd-notice-accept", className: "kd-button kd-button-primary", text: t.noticeAccept
    });
    ui.notice = el("section", {
      id: "kd-notice", className: "kd-notice", tabindex: "-1", "aria-labelledby": "kd-notice-title",
      "aria-describedby": "kd-notice-text", hidden: true
    }, [
      el("h3", { id: "kd-notice-title", className: "kd-notice-title", text: t.noticeTitle }),
      ui.noticeText,
      noticeLink("kd-notice-link"),
      el("label", { className: "kd-check", id: "kd-notice-marketing-label" }, [ui.noticeMarketing, ui.noticeMarketingText]),
      ui.noticeAccept
    ]);

    ui.panel = el("div", {
      id: "kd-panel", className: "kd-panel", role: "dialog", "aria-label": t.dialog, hidden: true
    }, [header, ui.toolbar, ui.privacyMenu, ui.endConfirm, ui.connection, ui.alert, ui.messages, ui.typing,
      ui.notice, ui.form]);

    ui.root = el("div", { className: "kd-root", id: "kd-root", lang: language, "data-language": language },
      [ui.panel, ui.launcher]);
    document.body.appendChild(ui.root);
  }

  function noticeLink(id) {
    return el("a", { id: id, className: "kd-link kd-notice-link", href: noticeUrl, target: "_blank", rel: "noopener" },
      [document.createTextNode(t.noticeFull), el("span", { className: "kd-sr-only", text: t.newTab })]);
  }

  // ---- state ----------------------------------------------------------------------------

  let socket = null;
  let sessionId = storageGet("localStorage", SESSION_KEY) || null;
  let connected = false; // socket connected AND session confirmed: only then can we send
  let everConnected = false;
  let isOpen = false;
  let unread = 0;
  let statusState = "bot";
  let lastSent = null; // {node, at}: the optimistic shopper message an error may belong to
  let typingSentAt = 0;
  let typingActive = false;
  let typingIdleTimer = null;
  let remoteTypingTimer = null;
  let serverDisconnectDelay = 2000;
  let connectionAlert = false; // the alert shows why a connection was refused
  // What the server said about this session's privacy: {notice: {needed, text, version},
  // marketing: {granted, wording, version}}; null until asked, or when it could not answer.
  let privacy = null;
  let choosing = false; // a consent or end_session is on its way: no second one meanwhile

  // ---- rendering messages ---------------------------------------------------------------

  const SENDERS = { shopper: true, bot: true, agent: true, system: true };

  function nearBottom() {
    const m = ui.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
  }
  function scrollToBottom() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function removeQuickReplies() {
    ui.messages.querySelectorAll(".kd-quick-replies").forEach(set => set.remove());
  }

  function renderQuickReplies(replies) {
    const group = el("div", { className: "kd-quick-replies", role: "group", "aria-label": t.quickReplies });
    replies.forEach(reply => {
      if (!reply || (reply.title == null && reply.payload == null)) return;
      const title = String(reply.title != null ? reply.title : reply.payload);
      const payload = String(reply.payload != null ? reply.payload : reply.title);
      const button = el("button", { type: "button", className: "kd-quick-reply", text: title, disabled: !connected });
      button.addEventListener("click", () => {
        if (!connected) return;
        // The set has done its job: remove it so it cannot be answered twice.
        group.remove();
        sendMessage(payload, title);
        ui.input.focus();
      });
      group.appendChild(button);
    });
    return group.childNodes.length ? group : null;
  }

  // message: {sender, text, quick_replies, agent_name, id, time}
  function renderMessage(message, options) {
    const sender = SENDERS[message.sender] ? message.sender : "bot";
    const node = el("div", { className: "kd-msg kd-msg-" + sender, "data-sender": sender });
    if (message.id != null) node.setAttribute("data-id", String(message.id));

    if (sender === "agent") {
      node.appendChild(el("div", { className: "kd-msg-name", text: message.agent_name || t.agent }));
    } else {
      // Screen readers hear who is speaking; sighted users see it from the bubble side.
      const who = sender === "shopper" ? t.you : sender === "system" ? t.system : t.bot;
      node.appendChild(el("span", { className: "kd-sr-only", text: who + ": " }));
    }

    const bubble = el("div", { className: "kd-bubble" });
    appendLinkified(bubble, String(message.text == null ? "" : message.text));
    node.appendChild(bubble);

    const time = formatTime(message.time);
    if (time && sender !== "system") {
      node.appendChild(el("time", { className: "kd-msg-time", datetime: message.time || new Date().toISOString(), text: time }));
    }

    ui.empty.hidden = true;
    const stick = options && options.forceScroll ? true : nearBottom();
    ui.messages.appendChild(node);
    if (options && options.quickReplies && message.quick_replies && message.quick_replies.length) {
      const group = renderQuickReplies(message.quick_replies);
      if (group) ui.messages.appendChild(group);
    }
    if (stick) scrollToBottom();
    return node;
  }

  function clearMessages() {
    ui.messages.replaceChildren(ui.empty);
    ui.empty.hidden = false;
  }

  // ---- status, connection, alerts, typing ------------------------------------------------

  function setStatus(state, data) {
    data = data || {};
    statusState = state;
    let parts = [t.statusBot];
    if (state === "queued") {
      const seconds = Number(data.estimated_wait_seconds);
      const minutes = seconds > 0 ? Math.max(1, Math.round(seconds / 60)) : null;
      parts = t.statusQueued(data.position || null, minutes);
    } else if (state === "agent") {
      parts = [t.statusAgent(data.agent_name)];
    } else if (state === "ticket") {
      parts = [t.statusTicket];
    }
    // Spans that do not break inside, so "~4 dk" never wraps away from its number.
    ui.status.textContent = "";
    parts.filter(Boolean).forEach((part, index) => {
      if (index) ui.status.appendChild(document.createTextNode(" · "));
      ui.status.appendChild(el("span", { className: "kd-nowrap", text: part }));
    });
    ui.status.setAttribute("data-state", state);
  }

  function setConnection(state) {
    // state: "connecting" | "reconnecting" | "failed" | "connected"
    ui.connection.setAttribute("data-state", state);
    ui.connection.hidden = state === "connected";
    if (state === "connecting") ui.connection.textContent = t.connecting;
    else if (state === "reconnecting") ui.connection.textContent = t.reconnecting;
    else if (state === "failed") ui.connection.textContent = t.loadFailed;
    connected = state === "connected";
    ui.root.setAttribute("data-connected", connected ? "true" : "false");
    updateComposer();
    // aria-disabled rather than disabled: a focused control keeps its focus while we reconnect.
    [ui.privacyToggle, ui.endButton, ui.endYes, ui.noticeAccept].forEach(button => {
      button.setAttribute("aria-disabled", connected ? "false" : "true");
    });
    ui.messages.querySelectorAll(".kd-quick-reply").forEach(button => { button.disabled = !connected; });
  }

  function showAlert(text) {
    connectionAlert = false;
    ui.alertText.textContent = text;
    ui.alert.hidden = false;
  }
  function hideAlert() {
    connectionAlert = false;
    ui.alert.hidden = true;
    ui.alertText.textContent = "";
  }

  function showRemoteTyping(data) {
    clearTimeout(remoteTypingTimer);
    if (!data || !data.active) {
      ui.typing.hidden = true;
      return;
    }
    const text = data.sender === "agent" ? t.typingAgent(data.agent_name || t.agent) : t.typingBot;
    ui.typing.querySelector(".kd-typing-text").textContent = text;
    const stick = nearBottom();
    ui.typing.hidden = false;
    if (stick) scrollToBottom();
    remoteTypingTimer = setTimeout(() => { ui.typing.hidden = true; }, TYPING_SAFETY_MS);
  }

  // Our own typing signal for the agent: at most one active:true every 2 s, active:false after
  // 3 s without a keystroke, on send, and when the field is emptied.
  function emitTyping(active) {
    if (!socket || !connected) return;
    socket.emit("typing", { active: active });
  }
  function noteTyping() {
    clearTimeout(typingIdleTimer);
    if (!ui.input.value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (now - typingSentAt >= TYPING_THROTTLE_MS) {
      typingSentAt = now;
      typingActive = true;
      emitTyping(true);
    }
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }
  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (typingActive) emitTyping(false);
    typingActive = false;
    typingSentAt = 0;
  }

  // ---- privacy: the notice, marketing e-mails, "end chat" ---------------------------------

  // An event with an acknowledgement; `callback(null)` when the server does not answer in time.
  function callServer(event, data, callback) {
    let answered = false;
    const timer = setTimeout(() => {
      if (answered) return;
      answered = true;
      callback(null);
    }, CALL_TIMEOUT_MS);
    socket.emit(event, data, answer => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      callback(answer || null);
    });
  }

  // Asked after every session_confirm: the server, not this browser, knows whether the notice was
  // acknowledged. If it cannot say (e.g. its database is down) the shopper may still chat: the
  // notice is not a wall, and the next connect asks again.
  function loadPrivacyState(done) {
    const forSession = sessionId;
    callServer("privacy_state", { language: language }, answer => {
      if (forSession !== sessionId) return; // the session changed meanwhile; its own request follows
      applyPrivacyState(answer && answer.ok ? answer : null);
      if (done) done();
    });
  }

  function applyPrivacyState(state) {
    privacy = state;
    const marketing = state && state.marketing;
    ui.marketingLabel.hidden = !marketing;
    ui.marketingText.textContent = marketing ? String(marketing.wording) : "";
    ui.marketing.checked = !!(marketing && marketing.granted === true); // never ticked by us
    if (state && state.notice && state.notice.needed) showNotice(state);
    else hideNotice(false);
  }

  function focusIsLost() {
    const active = document.activeElement;
    return !active || active === document.body || (ui.panel.contains(active) && active.offsetParent === null);
  }

  function showNotice(state) {
    const takeFocus = isOpen && (focusIsLost() || ui.form.contains(document.activeElement));
    if (ui.notice.hidden) ui.noticeMarketing.checked = false; // unticked: only the shopper ticks it
    ui.noticeText.textContent = String(state.notice.text || "");
    ui.noticeMarketingText.textContent = String(state.marketing.wording || "");
    closeSheets(false);
    ui.notice.hidden = false;
    ui.form.hidden = true;
    ui.toolbar.hidden = true;
    ui.root.setAttribute("data-notice", "shown");
    if (takeFocus) ui.notice.focus();
  }

  function hideNotice(focusInput) {
    const takeFocus = focusInput || (isOpen && ui.notice.contains(document.activeElement));
    ui.notice.hidden = true;
    ui.form.hidden = false;
    ui.toolbar.hidden = false;
    ui.root.removeAttribute("data-notice");
    if (takeFocus && isOpen) ui.input.focus();
  }

  function sendConsent(kind, granted, version, callback) {
    callServer("consent", { kind: kind, granted: granted, language: language, version: version }, callback);
  }

  function choiceRefused(answer) {
    const error = answer && answer.error;
    showAlert(error && error.message ? String(error.message) : t.choiceFailed);
    // The text changed since it was shown: show the new one, to be read and chosen again.
    if (error && error.code === "wording_changed") loadPrivacyState();
  }

  function acceptNotice() {
    if (!privacy || !connected || choosing) return;
    choosing = true;
    const wantsMarketing = ui.noticeMarketing.checked;
    sendConsent("notice", true, privacy.notice.version, answer => {
      if (!answer || !answer.ok) {
        choosing = false;
        choiceRefused(answer);
        return;
      }
      privacy.notice.needed = false;
      const finish = () => {
        choosing = false;
        hideAlert();
        ui.empty.textContent = t.empty;
        hideNotice(true);
      };
      if (!wantsMarketing) return finish();
      sendConsent("marketing", true, privacy.marketing.version, given => {
        if (given && given.ok) {
          privacy.marketing.granted = true;
          ui.marketing.checked = true;
          finish();
        } else {
          finish();
          choiceRefused(given); // the chat may start; the choice can be made again in the menu
        }
      });
    });
  }

  function changeMarketing() {
    const granted = ui.marketing.checked;
    if (!privacy || !connected || choosing) {
      ui.marketing.checked = !granted;
      return;
    }
    choosing = true;
    ui.privacyStatus.textContent = "";
    sendConsent("marketing", granted, privacy.marketing.version, answer => {
      choosing = false;
      if (answer && answer.ok) {
        privacy.marketing.granted = granted;
        ui.privacyStatus.textContent = t.choiceSaved;
      } else {
        ui.marketing.checked = !granted;
        choiceRefused(answer);
      }
    });
  }

  // The privacy menu and the end-chat question open under the toolbar, one at a time.
  function openSheet(sheet, toggle, focusTarget) {
    closeSheets(false);
    sheet.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    focusTarget.focus();
  }
  function closeSheets(returnFocus) {
    const open = !ui.endConfirm.hidden ? ui.endButton : !ui.privacyMenu.hidden ? ui.privacyToggle : null;
    ui.privacyMenu.hidden = true;
    ui.endConfirm.hidden = true;
    ui.privacyToggle.setAttribute("aria-expanded", "false");
    ui.endButton.setAttribute("aria-expanded", "false");
    ui.privacyStatus.textContent = "";
    if (returnFocus && open) open.focus();
    return !!open;
  }

  function endChat() {
    if (!connected || choosing || !sessionId) return;
    choosing = true;
    const ending = sessionId;
    callServer("end_session", { session_id: ending }, answer => {
      choosing = false;
      if (answer && answer.ok) sessionEnded(ending);
      else showAlert(answer && answer.error && answer.error.message ? String(answer.error.message) : t.endFailed);
    });
  }

  // The session `id` ended (here, or in another tab: the server tells every socket of it). Forget it
  // in this browser and start a new one, which begins with the notice again.
  function sessionEnded(id) {
    if (!id || id !== sessionId) return; // already forgotten
    storageRemove("localStorage", SESSION_KEY);
    sessionId = null;
    privacy = null;
    lastSent = null;
    closeSheets(false);
    hideAlert();
    clearMessages();
    ui.empty.textContent = t.ended;
    ui.typing.hidden = true;
    ui.marketing.checked = false;
    setStatus("bot");
    setConnection("connecting");
    if (socket && socket.connected) socket.emit("session_request", { session_id: null });
  }

  // ---- composer -------------------------------------------------------------------------

  // While disconnected the shopper may go on typing; only sending waits for the connection.
  function updateComposer() {
    ui.send.disabled = !connected || !ui.input.value.trim();
    const left = MAX_LENGTH - ui.input.value.length;
    ui.counter.hidden = left > 100;
    ui.counter.textContent = t.remaining(left);
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 140) + "px";
  }

  // display: what the shopper sees in their bubble (a quick reply's title); text: what is sent.
  function sendMessage(text, display) {
    const message = String(text).trim().slice(0, MAX_LENGTH);
    if (!message || !connected || !socket) return false;
    const metadata = { language: language };
    if (customerToken) metadata.customer_token = customerToken;
    socket.emit("user_uttered", { message: message, session_id: sessionId, metadata: metadata });
    stopTyping();
    hideAlert();
    removeQuickReplies();
    // Optimistic: shown at once; the next "history" replaces the whole list, so no duplicate.
    const node = renderMessage({ sender: "shopper", text: display || message, time: new Date().toISOString() },
      { forceScroll: true });
    lastSent = { node: node, at: Date.now() };
    return true;
  }

  function submitInput() {
    if (sendMessage(ui.input.value)) {
      // The send button is disabled once the field is empty; if it had the focus, the focus
      // would fall to the page, so give it back to the field for the next message.
      const refocus = document.activeElement === ui.send;
      ui.input.value = "";
      autosize();
      updateComposer();
      if (refocus) ui.input.focus();
    }
  }

  // ---- open / close ---------------------------------------------------------------------

  function setUnread(n) {
    unread = n;
    ui.badge.textContent = n > 9 ? "9+" : String(n);
    ui.badge.hidden = n === 0;
    ui.launcher.setAttribute("aria-label", n ? t.open + " (" + t.unread(n) + ")" : t.open);
  }

  // On a desktop the open panel stays below the host page's header, so the page's own controls
  // there (a "Canlı destek" button, the language link, the basket) stay usable. The header is what
  // the page marks with data-kd-avoid, else its <header> (a child of <body>) or role="banner";
  // only while it is in view, and only if the panel keeps a usable height.
  const PANEL_HEADER_GAP = 12;
  const PANEL_MIN_HEIGHT = 360;
  let fitQueued = false;

  function hostHeaders() {
    const marked = Array.from(document.querySelectorAll("[data-kd-avoid]"));
    return marked.length ? marked : Array.from(document.querySelectorAll("body > header, [role='banner']"));
  }

  function fitPanel() {
    fitQueued = false;
    if (!isOpen || !ui.panel) return;
    ui.panel.style.maxHeight = "";
    if (isFullScreen()) return;
    // From the layout, not getBoundingClientRect: the opening animation moves and scales the panel.
    const style = window.getComputedStyle(ui.panel);
    const viewport = document.documentElement;
    const bottom = viewport.clientHeight - (parseFloat(style.bottom) || 0);
    const right = viewport.clientWidth - (parseFloat(style.right) || 0);
    const left = right - ui.panel.offsetWidth;
    let top = 0;
    hostHeaders().forEach(node => {
      if (ui.root.contains(node)) return;
      const box = node.getBoundingClientRect();
      const beside = box.right <= left || box.left >= right || box.width === 0 || box.height === 0;
      // A header taller than the top part of the screen is a page section, not a bar of controls.
      if (!beside && box.bottom > 0 && box.bottom < viewport.clientHeight * 0.45) top = Math.max(top, box.bottom);
    });
    const room = Math.floor(bottom - top - PANEL_HEADER_GAP);
    if (top > 0 && room < ui.panel.offsetHeight && room >= PANEL_MIN_HEIGHT) ui.panel.style.maxHeight = room + "px";
  }

  function queueFitPanel() {
    if (fitQueued || !isOpen) return;
    fitQueued = true;
    window.requestAnimationFrame(fitPanel);
  }

  function openPanel(options) {
    const focus = !options || options.focus !== false;
    isOpen = true;
    ui.panel.hidden = false;
    fitPanel();
    ui.root.classList.add("kd-is-open");
    // On a phone the panel covers the page: stop the page behind it from scrolling.
    document.documentElement.classList.add("kd-page-locked");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.panel.classList.toggle("kd-animate", !prefersReducedMotion() && focus);
    storageSet("sessionStorage", OPEN_KEY, "1");
    setUnread(0);
    scrollToBottom();
    if (focus) (ui.notice.hidden ? ui.input : ui.notice).focus();
  }

  function closePanel(options) {
    isOpen = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("kd-is-open");
    document.documentElement.classList.remove("kd-page-locked");
    ui.launcher.setAttribute("aria-expanded", "false");
    storageSet("sessionStorage", OPEN_KEY, "0");
    stopTyping();
    closeSheets(false);
    if (!options || options.returnFocus !== false) ui.launcher.focus();
  }

  function togglePanel() {
    if (isOpen) closePanel();
    else openPanel();
  }

  // Tab stays inside the panel while it covers the whole screen (phones); on a desktop the
  // panel is a side window and Tab may leave it.
  function trapFocus(event) {
    if (event.key !== "Tab" || !isFullScreen()) return;
    const focusable = Array.from(
      ui.panel.querySelectorAll("button, textarea, input, a[href], [tabindex]:not([tabindex='-1'])")
    ).filter(node => !node.disabled && node.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function bindUi() {
    ui.launcher.addEventListener("click", togglePanel);
    ui.close.addEventListener("click", () => { closePanel(); });
    ui.alertClose.addEventListener("click", () => {
      hideAlert();
      (ui.notice.hidden ? ui.input : ui.notice).focus();
    });
    ui.privacyToggle.addEventListener("click", () => {
      if (!ui.privacyMenu.hidden) closeSheets(true);
      else if (connected) openSheet(ui.privacyMenu, ui.privacyToggle, ui.marketingLabel.hidden ? ui.privacyMenu.querySelector("a") : ui.marketing);
    });
    ui.endButton.addEventListener("click", () => {
      if (!ui.endConfirm.hidden) closeSheets(true);
      else if (connected) openSheet(ui.endConfirm, ui.endButton, ui.endYes);
    });
    ui.endNo.addEventListener("click", () => { closeSheets(true); });
    ui.endYes.addEventListener("click", endChat);
    ui.marketing.addEventListener("change", changeMarketing);
    ui.noticeAccept.addEventListener("click", acceptNotice);
    ui.root.addEventListener("keydown", event => {
      if (!isOpen) return;
      if (event.key === "Escape") {
        event.preventDefault();
        if (!closeSheets(true)) closePanel(); // an open menu or question closes first
        return;
      }
      trapFocus(event);
    });
    ui.form.addEventListener("submit", event => {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("keydown", event => {
      // Enter sends, Shift+Enter is a new line; never while an IME is composing (e.g. Turkish
      // or Japanese keyboards on phones).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", () => {
      autosize();
      updateComposer();
      noteTyping();
    });
    ui.input.addEventListener("blur", stopTyping);
    window.addEventListener("resize", queueFitPanel, { passive: true });
    window.addEventListener("scroll", queueFitPanel, { passive: true });
    // Any element of the host page with data-kd-open opens the chat (e.g. a "Canlı destek" link).
    document.addEventListener("click", event => {
      const target = event.target && event.target.closest ? event.target.closest("[data-kd-open]") : null;
      if (!target || ui.root.contains(target)) return;
      event.preventDefault();
      openPanel();
    });
  }

  // ---- socket ---------------------------------------------------------------------------

  function messageFromUtterance(data) {
    const meta = data.metadata || data.customData || {};
    return {
      sender: meta.sender || "bot",
      text: data.text,
      quick_replies: data.quick_replies || data.quickReplies || [],
      agent_name: meta.agent_name,
      id: meta.message_id,
      time: meta.time
    };
  }

  function storeSession(id) {
    if (!id) return;
    sessionId = String(id);
    storageSet("localStorage", SESSION_KEY, sessionId);
  }

  function lastAgentName(messages) {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i].sender === "agent" && messages[i].agent_name) return messages[i].agent_name;
    }
    return null;
  }

  function onHistory(data) {
    if (!data) return;
    if (data.session_id) storeSession(data.session_id);
    const messages = (data.messages || []).filter(m => m && SENDERS[m.sender]);
    clearMessages();
    lastSent = null;
    messages.forEach((message, index) => {
      // Only the newest message keeps its buttons, and only if the shopper has not answered.
      const isLast = index === messages.length - 1;
      renderMessage(message, { quickReplies: isLast && message.sender !== "shopper", forceScroll: true });
    });
    scrollToBottom();
    // A queued/agent state from history; a more precise handoff_status may follow or precede.
    if (data.state && data.state !== statusState) {
      setStatus(data.state, { agent_name: lastAgentName(messages) });
    }
  }

  function onBotUttered(data) {
    if (!data) return;
    const message = messageFromUtterance(data);
    if (message.sender === "note") return; // never meant for shoppers
    // Rasa may emit custom payloads without text (e.g. signals for the bridge): nothing to show.
    if ((message.text == null || message.text === "") && !message.quick_replies.length) return;
    if (message.id != null &&
        ui.messages.querySelector('.kd-msg[data-id="' + String(message.id).replace(/["\\]/g, "") + '"]')) {
      return; // already shown (e.g. delivered again right after a history)
    }
    lastSent = null; // the server took our last message
    ui.typing.hidden = true;
    clearTimeout(remoteTypingTimer);
    if (message.quick_replies.length) removeQuickReplies();
    renderMessage(message, { quickReplies: true });
    if (!isOpen) setUnread(unread + 1);
  }

  function onError(data) {
    data = data || {};
    const recentSend = lastSent && Date.now() - lastSent.at < SEND_ERROR_WINDOW_MS;
    if (recentSend && data.code !== "too_many_connections") {
      // The server did not store it: say so on the bubble instead of pretending it was sent.
      lastSent.node.classList.add("kd-msg-failed");
      lastSent.node.appendChild(el("span", { className: "kd-msg-failed-note", text: t.failed }));
      lastSent = null;
    }
    if (data.message) showAlert(String(data.message));
    // The server forgot us (e.g. it restarted): ask for the session again.
    if (data.code === "no_session" && socket && socket.connected) {
      socket.emit("session_request", { session_id: sessionId });
    }
  }

  // After a server-side disconnect or refusal socket.io does not retry by itself: retry with backoff.
  function retryLater() {
    setTimeout(() => { if (!socket.connected) socket.connect(); }, serverDisconnectDelay);
    serverDisconnectDelay = Math.min(serverDisconnectDelay * 2, 60000);
  }

  function connect() {
    const path = bridgeBase.pathname.replace(/\/?$/, "/") + "socket.io";
    socket = window.io(bridgeBase.origin, { path: path, reconnectionDelayMax: 10000 });

    socket.on("connect", () => {
      // Every (re)connect starts a session again with the stored id; the server answers
      // session_confirm and then history.
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", data => {
      const id = typeof data === "string" ? data : data && data.session_id;
      // A different id means the old conversation is gone (unknown to the server): start clean.
      if (sessionId && id && String(id) !== sessionId) {
        clearMessages();
        setStatus("bot");
        closeSheets(false);
      }
      storeSession(id);
      if (connectionAlert) hideAlert(); // the refusal it explained is over
      everConnected = true;
      serverDisconnectDelay = 2000; // a working session resets the backoff
      // Ready once we know whether the notice comes first (a message must not slip in before it).
      loadPrivacyState(() => { setConnection("connected"); });
    });
    socket.on("session_ended", data => {
      if (data && data.session_id) sessionEnded(String(data.session_id));
    });
    socket.on("history", onHistory);
    socket.on("bot_uttered", onBotUttered);
    socket.on("handoff_status", data => {
      if (data && data.state) setStatus(data.state, data);
    });
    socket.on("typing", showRemoteTyping);
    socket.on("error", onError);
    socket.on("disconnect", reason => {
      setConnection(everConnected ? "reconnecting" : "connecting");
      ui.typing.hidden = true;
      typingActive = false;
      if (reason === "io server disconnect") retryLater();
    });
    socket.on("connect_error", err => {
      setConnection(everConnected ? "reconnecting" : "connecting");
      // Refused by the server (e.g. too many connections from this address): socket.io will not
      // retry on its own. Say why, and try again later.
      if (!socket.active) {
        if (err && err.message) {
          showAlert(String(err.message));
          connectionAlert = true;
        }
        retryLater();
      }
    });
  }

  // ---- start ----------------------------------------------------------------------------

  function injectStylesheet() {
    const href = new URL("widget.css", widgetBase).href;
    if (Array.from(document.querySelectorAll('link[rel="stylesheet"]')).some(link => link.href === href)) return;
    // A panel reopened after a reload is measured again once it has its styles.
    const link = el("link", { rel: "stylesheet", href: href });
    link.addEventListener("load", queueFitPanel);
    document.head.appendChild(link);
  }

  function loadSocketIo(done) {
    if (typeof window.io === "function") return done();
    const tag = el("script", { src: new URL("vendor/socket.io.min.js", widgetBase).href, async: true });
    tag.onload = () => {
      // A page with an AMD loader would capture the library instead of window.io.
      if (typeof window.io === "function") done();
      else setConnection("failed");
    };
    tag.onerror = () => { setConnection("failed"); };
    document.head.appendChild(tag);
  }

  function start() {
    injectStylesheet();
    buildUi();
    bindUi();
    setConnection("connecting");
    setStatus("bot");
    setUnread(0);
    if (storageGet("sessionStorage", OPEN_KEY) === "1") openPanel({ focus: false });
    loadSocketIo(connect);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
