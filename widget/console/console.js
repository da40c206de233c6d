/*
 * Kuzey Destek — agent console.
 *
 * One page, no framework, no build step (ES2019). Talks to the bridge as docs/live-chat.md
 * describes: REST /api/login and /api/desk/canned, Socket.IO namespace /agents with acks.
 *
 * Rules kept throughout:
 *  - every text from the server goes into the page with textContent, never innerHTML;
 *  - every UI text comes from the text catalogue, domain `console` (key -> text, loaded from
 *    GET /api/texts/console?lang=… before anything is shown); the agent picks the language
 *    (TR/EN switch, kept in localStorage; by default the browser's language), and a switch
 *    loads the other language's table;
 *  - the server sends error codes: an ack error ({ok:false, error:{code, params?}}) is worded
 *    from the catalogue by its code and shown in the #toast (role="alert").
 */
(function () {
  'use strict';

  // ===================================================================== UI texts

  // Every UI text is in the text catalogue, domain `console` (locale/<lang>/LC_MESSAGES/console.po),
  // which the page loads for its language before showing anything (widget/shared/texts.js, served
  // by bot/desk/texts_web.py). Families of words are keys with a prefix and the server's code:
  // reason.<code>, signal.<code>, status.<code>, category.<code>, state.<code>, kb.<id> ("the
  // assistant should have known this") and error.<code>[.<event>] (ack errors);
  // tests/unit/test_console_strings.py checks that every key used has its text.
  const LANGUAGES = window.KuzeyTexts.LANGUAGES;
  const LANG_KEY = 'kuzey.desk.lang';   // localStorage: the agent's choice, kept across logins
  const Words = window.KuzeyTexts.words('console', LANG_KEY);

  /** The language of the console: the agent's choice, else the browser's first language we have, else Turkish. */
  let LANG = Words.lang();

  /** A UI text with {placeholders} filled in. */
  const t = Words.t;

  /** The word for `prefix` + `key` (reason., signal., …), else the key made readable. */
  function wordFrom(prefix, key) {
    if (!key) return '';
    return Words.has(prefix + key) ? t(prefix + key) : String(key).replace(/_/g, ' ');
  }

  const reasonText = function (key) { return wordFrom('reason.', key); };
  const signalText = function (key) { return wordFrom('signal.', key); };
  const stateText = function (key) { return wordFrom('state.', key); };
  const storeStatusText = function (key) { return wordFrom('status.', key); };
  const categoryText = function (key) { return wordFrom('category.', key); };

  /** Fills the static page from the texts: data-i18n (text), -aria-label, -title; the language switch. */
  function applyStaticStrings() {
    document.documentElement.lang = LANG;
    document.title = t('app.title');
    document.querySelectorAll('[data-i18n]').forEach(function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    document.querySelectorAll('[data-i18n-aria-label]').forEach(function (node) {
      node.setAttribute('aria-label', t(node.getAttribute('data-i18n-aria-label')));
    });
    document.querySelectorAll('[data-i18n-title]').forEach(function (node) {
      node.setAttribute('title', t(node.getAttribute('data-i18n-title')));
    });
    document.querySelectorAll('[data-i18n-placeholder]').forEach(function (node) {
      node.setAttribute('placeholder', t(node.getAttribute('data-i18n-placeholder')));
    });
    document.querySelectorAll('.lang-switch button[data-lang]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === LANG));
    });
  }

  // ===================================================================== constants & state

  // The login, the token in sessionStorage and its expiry: widget/shared/login.js.
  const Login = window.KuzeyLogin;
  const session = Login.session('kuzey.desk');
  const readJson = Login.readJson;
  const ACK_TIMEOUT_MS = 10000;
  const TOAST_MS = 7000;
  const LOGOUT_CONFIRM_MS = 6000;    // the second click on "Çıkış yap" must come within this
  const TYPING_THROTTLE_MS = 2500;   // re-send "typing" at most this often while typing
  const TYPING_IDLE_MS = 4000;       // "stopped typing" after this long without a key
  const REMOTE_TYPING_MS = 8000;     // hide "Müşteri yazıyor…" if the stop never comes
  const NEAR_BOTTOM_PX = 80;         // auto-scroll only if the agent was reading the end

  const state = {
    token: null,
    socket: null,
    me: null,            // desk.me (or the login's user until the first desk)
    queue: [],
    chats: [],
    agents: [],
    unread: {},          // conversation id -> count, kept by the console
    openId: null,        // the chat shown in the middle
    detail: null,        // its conversation detail (null while loading)
    pending: [],         // messages that came while the detail was loading
    offer: null,         // {conversation, deadline}
    drafts: {},          // conversation id -> unsent reply text
    canned: { responses: [], tags: [] },
    cannedPick: null,    // last canned insertion, so the next pick can replace it
    typingOut: { active: false, id: null, sentAt: 0, idleTimer: 0 },
    typingInTimer: 0,
    tickTimer: 0,
    toastTimer: 0,
    flash: { timer: 0, text: '', cycles: 0 },
    logoutArmedUntil: 0, // see onLogoutClick
    support: null,       // {support_open, support_hours} of the last desk state
    connection: 'connecting',
  };

  // ===================================================================== DOM helpers

  const $ = function (selector) { return document.querySelector(selector); };

  /** A new element with a class and plain text (text is never parsed as HTML). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /**
   * Re-renders a list without losing the keyboard focus: the focused control is found again by
   * its item's data-id and its data-role (lists are rebuilt on every `desk` event).
   */
  function keepFocus(container, render) {
    const active = document.activeElement;
    let memo = null;
    if (active && container.contains(active)) {
      const item = active.closest('[data-id]');
      memo = { id: item ? item.getAttribute('data-id') : null, role: active.getAttribute('data-role') };
    }
    render();
    if (!memo) return;
    let target = null;
    if (memo.id && memo.role) {
      target = container.querySelector('[data-id="' + CSS.escape(memo.id) + '"] [data-role="' + memo.role + '"]');
    }
    // The item is gone (taken by someone else): stay in the same list rather than on <body>.
    if (!target) target = container.querySelector('[data-role]');
    if (target) target.focus();
  }

  // ===================================================================== time formatting

  /** Server times are ISO UTC; a time without a zone is read as UTC too, not local time. */
  function parseTime(value) {
    if (!value) return null;
    const text = String(value);
    const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text.slice(10));
    const ms = Date.parse(hasZone ? text : text + 'Z');
    return isNaN(ms) ? null : new Date(ms);
  }

  const formatsByLanguage = {};

  /** Clock, day and date formats of the console's language (en-GB: 24-hour clock, day first). */
  function formats() {
    if (!formatsByLanguage[LANG]) {
      const locale = LANG === 'en' ? 'en-GB' : 'tr-TR';
      formatsByLanguage[LANG] = {
        clock: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }),
        day: new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit' }),
        date: new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: '2-digit' }),
      };
    }
    return formatsByLanguage[LANG];
  }

  /** "18:45" today, "22.11 18:45" on other days. */
  function formatTime(value) {
    const date = parseTime(value);
    if (!date) return '';
    const format = formats();
    const sameDay = date.toDateString() === new Date().toDateString();
    return sameDay ? format.clock.format(date) : format.day.format(date) + ' ' + format.clock.format(date);
  }

  function formatDate(value) {
    const date = parseTime(value);
    return date ? formats().date.format(date) : '';
  }

  /** A waiting time: "0:42", "12:05", "1 sa 3 dk". Clock skew never shows a negative wait. */
  function formatDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s >= 3600) return t('hoursShort', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
    const sec = s % 60;
    return Math.floor(s / 60) + ':' + (sec < 10 ? '0' : '') + sec;
  }

  /**
   * When a queued chat started waiting, on this computer's clock: from the server's
   * waiting_seconds when given (immune to a wrong local clock), else from queued_at.
   */
  function queuedSinceMs(summary) {
    if (typeof summary.waiting_seconds === 'number') return Date.now() - summary.waiting_seconds * 1000;
    const date = parseTime(summary.queued_at || summary.last_message_at);
    return date ? date.getTime() : Date.now();
  }

  // ===================================================================== small domain helpers

  function customerName(summary) {
    return summary && summary.customer && summary.customer.name ? summary.customer.name : t('customer.guest');
  }

  function langBadgeText(language) {
    return t('lang.' + (language === 'en' ? 'en' : 'tr'));
  }

  /** 0.82 -> 82; a score already on 0-100 stays as it is. */
  function frustrationScore(value) {
    const number = Number(value) || 0;
    const score = number <= 1 ? number * 100 : number;
    return Math.max(0, Math.min(100, Math.round(score)));
  }

  /** {tr, en} -> the text in `language`, else Turkish, else any. */
  function pickLanguage(texts, language) {
    if (!texts) return '';
    if (typeof texts === 'string') return texts;
    return texts[language] || texts.tr || texts.en || '';
  }

  function errorMessage(error, fallbackKey) {
    if (!error) return t(fallbackKey || 'error.generic');
    if (typeof error === 'string') return error;
    return error.message || t(fallbackKey || 'error.generic');
  }

  /**
   * An ack's error ({code, message}) in the console's language: error.<code>.<event> where the
   * same code means different things per event, else error.<code>; the server's own message only
   * for a code this table does not know.
   */
  function ackErrorText(event, error) {
    if (!error || typeof error !== 'object' || !error.code) return errorMessage(error);
    const code = String(error.code);
    const given = error.params && typeof error.params === 'object' ? error.params : {};
    const max = given.max_chats || (state.me && state.me.max_chats);
    if (code === 'chat_limit' && !max) return errorMessage(error);
    const params = Object.assign({}, given, { max: max });
    if (Words.has('error.' + code + '.' + event)) return t('error.' + code + '.' + event, params);
    if (Words.has('error.' + code)) return t('error.' + code, params);
    return errorMessage(error);
  }

  function findChat(id) {
    return state.chats.find(function (chat) { return chat.id === id; }) || null;
  }

  /** The open chat is loaded and still this agent's (else it is shown read-only). */
  function canWrite() {
    return !!state.detail && state.detail.id === state.openId && !!findChat(state.openId);
  }

  // ===================================================================== toast & announcements

  /** Errors (and a few confirmations) in #toast, which has role="alert". */
  function toast(message, kind) {
    const node = $('#toast');
    node.textContent = message;
    node.className = 'toast ' + (kind || 'error');
    node.hidden = false;
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(hideToast, TOAST_MS);
  }

  function hideToast() {
    const node = $('#toast');
    node.hidden = true;
    node.textContent = '';
  }

  /** For screen readers only (the live region is visually hidden). */
  function announce(message) {
    const node = $('#announcer');
    node.textContent = '';
    // A new text node after a frame makes screen readers read the same text again.
    requestAnimationFrame(function () { node.textContent = message; });
  }

  // ===================================================================== alerts: sound and title

  // Browsers only allow sound after the user has interacted with the page: the AudioContext is
  // created in the first click/keypress and every use is guarded, so a blocked audio never throws.
  let audioContext = null;

  function unlockAudio() {
    try {
      if (!audioContext) {
        const AudioCtor = window.AudioContext || window.webkitAudioContext;
        if (!AudioCtor) return;
        audioContext = new AudioCtor();
      }
      if (audioContext.state === 'suspended') audioContext.resume().catch(function () {});
    } catch (_) {
      audioContext = null;
    }
  }

  function beep() {
    if (!audioContext || audioContext.state !== 'running') return;
    try {
      const now = audioContext.currentTime;
      const oscillator = audioContext.createOscillator();
      const gain = audioContext.createGain();
      oscillator.type = 'sine';
      oscillator.frequency.setValueAtTime(880, now);
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      oscillator.connect(gain);
      gain.connect(audioContext.destination);
      oscillator.start(now);
      oscillator.stop(now + 0.3);
    } catch (_) {
      // No sound is better than a broken console.
    }
  }

  /**
   * Flashes the tab title until the window gets the focus (an agent in another tab or window
   * sees it). If the console already has the focus, a few flashes are enough.
   */
  function flashTitle(text) {
    const flash = state.flash;
    flash.text = text;
    flash.cycles = 0;
    document.title = text;
    if (flash.timer) return;
    flash.timer = setInterval(function () {
      flash.cycles += 1;
      document.title = flash.cycles % 2 ? t('app.title') : flash.text;
      if (document.hasFocus() && flash.cycles >= 6) stopFlashTitle();
    }, 1000);
  }

  function stopFlashTitle() {
    clearInterval(state.flash.timer);
    state.flash.timer = 0;
    document.title = t('app.title');
  }

  function alertAgent(titleText) {
    beep();
    flashTitle(titleText);
  }

  function totalUnread() {
    return Object.keys(state.unread).reduce(function (sum, id) { return sum + state.unread[id]; }, 0);
  }

  // ===================================================================== REST

  /** Canned responses and close tags; editors may change them, so reloaded on every connect. */
  async function loadCanned() {
    try {
      const response = await fetch('/api/desk/canned', {
        headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' },
      });
      if (response.status === 401) {
        endSession(t('login.expired'));
        return;
      }
      const data = await readJson(response);
      if (!response.ok || !data) throw new Error(errorMessage(data && data.error, 'error.canned'));
      state.canned = { responses: data.responses || [], tags: data.tags || [] };
      renderCannedOptions();
    } catch (error) {
      if (state.token) toast(t('error.canned'));
    }
  }

  // ===================================================================== Socket.IO

  /** Emits an event with an ack; resolves with the ack, rejects with the server's message. */
  function request(event, payload) {
    return new Promise(function (resolve, reject) {
      if (!state.socket) {
        reject(new Error(t('error.generic')));
        return;
      }
      state.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (timeoutError, answer) {
        if (timeoutError) reject(new Error(t('error.timeout')));
        else if (!answer || answer.ok !== true) reject(new Error(ackErrorText(event, answer && answer.error)));
        else resolve(answer);
      });
    });
  }

  function connectSocket() {
    setConnection('connecting');
    const socket = io('/agents', { auth: { token: state.token } });
    state.socket = socket;

    socket.on('connect', function () {
      setConnection('online');
      loadCanned();
      // After a reconnect the open chat may have missed messages: load it again.
      if (state.openId) openChat(state.openId, { force: true, keepFocus: true });
    });
    socket.on('connect_error', function () {
      // socket.active is false when the server refused us (bad or expired token); otherwise the
      // client keeps retrying by itself (network trouble).
      if (!socket.active) endSession(t('login.expired'));
      else setConnection('offline');
    });
    socket.on('disconnect', function (reason) {
      if (reason === 'io server disconnect') endSession(t('login.kicked'));
      else setConnection('offline');
    });

    socket.on('desk', onDesk);
    // Another bridge's messages may have been lost while Redis restarted: load the open chat again.
    socket.on('resync', function () {
      if (state.openId) openChat(state.openId, { force: true, keepFocus: true });
    });
    socket.on('offer', onOffer);
    socket.on('offer_withdrawn', onOfferWithdrawn);
    socket.on('message', onMessageEvent);
    socket.on('typing', onTypingEvent);
    socket.on('alert', onSecurityAlert);
    socket.on('tickets_changed', onTicketsChanged);
    socket.on('ticket_alert', onTicketAlert);
  }

  function setConnection(status) {
    state.connection = status;
    const node = $('#connection');
    node.setAttribute('data-state', status);
    node.textContent = t('conn.' + status);
  }

  // ===================================================================== session: login/logout

  function showLogin(message) {
    document.title = t('app.title');
    Login.showForm(message);
  }

  function showApp() {
    $('#login-view').hidden = true;
    $('#app-view').hidden = false;
    renderMe();
    renderQueue();
    renderChats();
    renderChatPanel();
  }

  function startSession(token, user) {
    state.token = token;
    state.me = user || null;
    showApp();
    connectSocket();
    startTickets();
    state.tickTimer = setInterval(tick, 1000);
  }

  /** Back to the login form: forget the token, the socket and everything shown. */
  function endSession(message) {
    if (state.socket) {
      const socket = state.socket;
      state.socket = null;
      socket.removeAllListeners();
      socket.disconnect();
    }
    session.clear();
    clearInterval(state.tickTimer);
    clearTimeout(state.typingOut.idleTimer);
    clearTimeout(state.typingInTimer);
    stopFlashTitle();
    clear(securityAlerts());
    closeDialogs();
    Object.assign(state, {
      token: null, me: null, queue: [], chats: [], agents: [], unread: {}, openId: null, detail: null,
      pending: [], offer: null, drafts: {}, cannedPick: null, tickTimer: 0, logoutArmedUntil: 0,
      typingOut: { active: false, id: null, sentAt: 0, idleTimer: 0 }, support: null,
    });
    $('#reply').value = '';
    $('#note-toggle').checked = false;
    renderSupportHours(null);
    setView('list');
    endTickets();
    renderOffer();
    showLogin(message);
  }

  /**
   * Logging out with chats open sends their shoppers back to the queue (after a short grace
   * period), so the first click only warns; a second click within a few seconds logs out.
   */
  function onLogoutClick() {
    if (state.chats.length && Date.now() > state.logoutArmedUntil) {
      state.logoutArmedUntil = Date.now() + LOGOUT_CONFIRM_MS;
      toast(t('logout.confirm', { n: state.chats.length }));
      return;
    }
    Login.logout(state.token);
    endSession('');
  }

  function closeDialogs() {
    ['#close-dialog', '#transfer-dialog'].forEach(function (selector) {
      const dialog = $(selector);
      if (dialog.open) dialog.close();
    });
  }

  // ===================================================================== server events

  function onDesk(desk) {
    const couldWrite = canWrite();
    state.me = desk.me || state.me;
    state.queue = desk.queue || [];
    state.chats = desk.chats || [];
    state.agents = desk.agents || [];
    // Forget unread counts of chats that are no longer ours.
    Object.keys(state.unread).forEach(function (id) { if (!findChat(id)) delete state.unread[id]; });
    // An offered chat that has left the queue (taken by us or someone else) is no offer any more.
    if (state.offer && !state.queue.some(function (q) { return q.id === state.offer.conversation.id; })) {
      state.offer = null;
    }
    renderSupportHours({ support_open: desk.support_open, support_hours: desk.support_hours });
    renderMe();
    renderQueue();
    renderChats();
    renderOffer();
    // A chat taken away (e.g. by a supervisor) stays readable, read-only; a previewed one
    // taken in another tab becomes writable.
    if (canWrite() !== couldWrite) renderChatPanel();
    else if (state.detail) renderBanner(state.detail, couldWrite);
    if ($('#transfer-dialog').open) renderTransferOptions();
  }

  function onOffer(payload) {
    if (!payload || !payload.conversation) return;
    const seconds = Number(payload.expires_in_seconds) || 30;
    state.offer = { conversation: payload.conversation, deadline: Date.now() + seconds * 1000 };
    renderOffer();
    alertAgent(t('title.offer'));
    announce(t('offer.announce', {
      name: customerName(payload.conversation), reason: reasonText(payload.conversation.reason),
    }));
  }

  function onOfferWithdrawn(payload) {
    if (state.offer && payload && state.offer.conversation.id === payload.conversation_id) {
      state.offer = null;
      renderOffer();
    }
  }

  function onMessageEvent(payload) {
    if (!payload || !payload.message) return;
    const id = payload.conversation_id;
    const message = payload.message;
    addMessage(id, message);
    updateChatPreview(id, message);

    const isOpen = state.openId === id;
    if (isOpen && message.sender === 'shopper') showRemoteTyping(false);
    if (!countsAsUnread(message)) return;
    if (!isOpen && findChat(id)) {
      state.unread[id] = (state.unread[id] || 0) + 1;
      renderChats();
    }
    if (message.sender === 'shopper' && (!isOpen || !document.hasFocus())) {
      alertAgent(t('title.message', { n: Math.max(1, totalUnread()) }));
    }
  }

  /** What the agent has not seen yet: everything except their own words. */
  function countsAsUnread(message) {
    if (message.sender === 'agent') return false;
    if (message.sender === 'note') return !state.me || message.agent_name !== state.me.display_name;
    return true;
  }

  function onTypingEvent(payload) {
    if (payload && payload.conversation_id === state.openId) showRemoteTyping(!!payload.active);
  }

  // ===================================================================== security alerts

  const MAX_SECURITY_ALERTS = 5;  // the newest ones; older banners go away

  const seenSecurityAlerts = new Set();

  /** A banner under the top bar until the agent dismisses it (docs/live-chat.md, `alert`). */
  function onSecurityAlert(payload) {
    if (!payload || payload.kind !== 'proof_alert') return;
    // A reconnect replays the last hour's alerts: each is shown once, and a dismissed one stays dismissed.
    const key = payload.order_no + '|' + payload.raised_at;
    if (seenSecurityAlerts.has(key)) return;
    seenSecurityAlerts.add(key);
    const text = t('alert.proof', {
      time: formatTime(payload.raised_at), order: payload.order_no, failures: payload.failures,
      clients: payload.clients, minutes: payload.window_minutes,
    });
    const banner = el('div', 'security-alert');
    banner.setAttribute('role', 'alert');
    banner.style.cssText = 'display:flex;gap:12px;align-items:center;flex:none;padding:8px 16px;'
      + 'background:var(--red-soft);color:var(--red);border-bottom:1px solid var(--red);font-weight:600;';
    const dismiss = el('button', 'btn btn-small', t('alert.dismiss'));
    dismiss.type = 'button';
    dismiss.addEventListener('click', function () { banner.remove(); });
    banner.appendChild(el('span', null, text));
    banner.appendChild(dismiss);
    securityAlerts().prepend(banner);
    while (securityAlerts().children.length > MAX_SECURITY_ALERTS) securityAlerts().lastChild.remove();
    alertAgent(t('title.alert'));
  }

  function securityAlerts() {
    let box = $('#security-alerts');
    if (!box) {
      box = el('div');
      box.id = 'security-alerts';
      box.style.cssText = 'flex:none;';
      $('#app-view .topbar').after(box);
    }
    return box;
  }

  // ===================================================================== the left column

  function renderMe() {
    const me = state.me || {};
    $('#me-name').textContent = me.display_name || me.username || '';
    const toggle = $('#availability');
    toggle.checked = !!me.available;
  }

  function renderQueue() {
    const list = $('#queue');
    keepFocus(list, function () {
      clear(list);
      state.queue.forEach(function (summary) { list.appendChild(queueItem(summary)); });
    });
    $('#queue-count').textContent = state.queue.length ? '(' + state.queue.length + ')' : '';
    $('#queue-empty').hidden = state.queue.length > 0;
  }

  function queueItem(summary) {
    const item = el('li', 'queue-item');
    item.setAttribute('data-id', summary.id);
    if (frustrationScore(summary.frustration) >= 70) item.classList.add('is-hot');

    // The item's body previews the chat (read-only); the button takes it.
    const main = el('button', 'item-main queue-open');
    main.type = 'button';
    main.setAttribute('data-role', 'open');
    if (summary.id === state.openId) main.setAttribute('aria-current', 'true');
    main.addEventListener('click', function () { openChat(summary.id); });
    main.appendChild(el('span', 'visually-hidden', t('queue.openPrefix')));
    const top = el('span', 'item-top');
    top.appendChild(el('span', 'badge lang', langBadgeText(summary.language)));
    top.appendChild(el('span', 'item-name', customerName(summary)));
    appendSegments(top, summary.segments);  // vip, open ticket, recent return: who this shopper is
    main.appendChild(top);
    const reasonRow = el('span', 'item-reason-row');
    reasonRow.appendChild(el('span', 'item-reason reason-' + (summary.reason || 'none'), reasonText(summary.reason)));
    const since = queuedSinceMs(summary);
    const wait = el('span', 'wait');
    wait.setAttribute('data-since-ms', String(since));
    wait.setAttribute('title', t('queue.waitLabel'));
    wait.textContent = formatDuration((Date.now() - since) / 1000);
    reasonRow.appendChild(wait);
    main.appendChild(reasonRow);
    if (summary.preview) main.appendChild(el('span', 'item-preview', summary.preview));
    item.appendChild(main);

    const accept = el('button', 'btn btn-small btn-primary accept', t('queue.accept'));
    accept.type = 'button';
    accept.setAttribute('data-role', 'accept');
    accept.setAttribute('aria-label', t('queue.acceptLabel', {
      name: customerName(summary), reason: reasonText(summary.reason),
    }));
    accept.addEventListener('click', function () { acceptChat(summary.id, accept); });
    item.appendChild(accept);
    return item;
  }

  function appendSegments(parent, segments) {
    (segments || []).forEach(function (segment) {
      parent.appendChild(el('span', 'segment segment-' + segment, segmentText(segment)));
    });
  }

  function renderChats() {
    const list = $('#my-chats');
    keepFocus(list, function () {
      clear(list);
      state.chats.forEach(function (summary) { list.appendChild(chatItem(summary)); });
    });
    $('#chats-count').textContent = state.chats.length ? '(' + state.chats.length + ')' : '';
    $('#chats-empty').hidden = state.chats.length > 0;
  }

  function chatItem(summary) {
    const item = el('li', 'chat-item');
    item.setAttribute('data-id', summary.id);
    const isOpen = summary.id === state.openId;
    if (isOpen) item.classList.add('is-open');

    const button = el('button', 'chat-open');
    button.type = 'button';
    button.setAttribute('data-role', 'open');
    if (isOpen) button.setAttribute('aria-current', 'true');

    const top = el('span', 'item-top');
    top.appendChild(el('span', 'badge lang', langBadgeText(summary.language)));
    top.appendChild(el('span', 'item-name', customerName(summary)));
    appendSegments(top, summary.segments);
    top.appendChild(el('span', 'item-time', formatTime(summary.last_message_at)));
    const count = state.unread[summary.id] || 0;
    const unread = el('span', 'unread', count);
    unread.hidden = count === 0;
    top.appendChild(unread);
    if (count) top.appendChild(el('span', 'visually-hidden', t('chats.unread')));
    button.appendChild(top);
    if (summary.preview) button.appendChild(el('span', 'item-preview', summary.preview));

    button.addEventListener('click', function () { openChat(summary.id); });
    item.appendChild(button);
    return item;
  }

  /** Keeps "my chats" current between `desk` events (the preview is the last shopper text). */
  function updateChatPreview(id, message) {
    const chat = findChat(id);
    if (!chat) return;
    if (message.sender === 'shopper') chat.preview = message.text;
    chat.last_message_at = message.time || chat.last_message_at;
    renderChats();
  }

  async function setAvailable(event) {
    const toggle = event.target;
    const wanted = toggle.checked;
    try {
      await request('set_available', { available: wanted });
      if (state.me) state.me.available = wanted;
    } catch (error) {
      toggle.checked = !wanted;
      toast(error.message);
    }
  }

  // ===================================================================== offers

  function renderOffer() {
    const card = $('#offer');
    const offer = state.offer;
    if (!offer) {
      const hadFocus = card.contains(document.activeElement);
      card.hidden = true;
      if (hadFocus) focusWorkArea();
      return;
    }
    const summary = offer.conversation;
    // Buttons are re-enabled for a new offer only, not while the shown one is being accepted.
    if (card.hidden || card.getAttribute('data-id') !== summary.id) {
      card.querySelector('.accept').disabled = false;
      card.querySelector('.decline').disabled = false;
    }
    card.setAttribute('data-id', summary.id);
    card.querySelector('.offer-name').textContent = customerName(summary);
    card.querySelector('.offer-lang').textContent = langBadgeText(summary.language);
    card.querySelector('.offer-reason').textContent = reasonText(summary.reason);
    card.querySelector('.offer-preview').textContent = summary.preview || '';
    updateOfferCountdown();
    card.hidden = false;
  }

  function updateOfferCountdown() {
    if (!state.offer) return;
    const seconds = Math.max(0, Math.ceil((state.offer.deadline - Date.now()) / 1000));
    $('#offer .offer-countdown').textContent = t('offer.countdown', { s: seconds });
    if (seconds === 0) {
      // The server moves the offer on by itself; the card just goes.
      state.offer = null;
      renderOffer();
    }
  }

  function acceptOffer() {
    if (state.offer) acceptChat(state.offer.conversation.id, $('#offer .accept'));
  }

  async function declineOffer() {
    if (!state.offer) return;
    const id = state.offer.conversation.id;
    state.offer = null;
    renderOffer();
    try {
      await request('decline', { conversation_id: id });
    } catch (error) {
      toast(error.message);
    }
  }

  // ===================================================================== accept & open

  /** Takes a queued chat (offered or not); the ack's detail is shown at once. */
  async function acceptChat(id, button) {
    if (button) button.disabled = true;
    try {
      const answer = await request('accept', { conversation_id: id });
      if (state.offer && state.offer.conversation.id === id) state.offer = null;
      renderOffer();
      const detail = answer.conversation;
      if (!detail) throw new Error(t('error.generic'));
      state.queue = state.queue.filter(function (q) { return q.id !== id; });
      if (!findChat(id)) state.chats.push(summaryOf(detail));
      renderQueue();
      showSection('chats');  // an offer taken while tickets were shown
      switchTo(id);
      setView('chat');
      showDetail(detail, { focusReply: true });
    } catch (error) {
      if (button && button.isConnected) button.disabled = false;
      toast(error.message);
    }
  }

  function summaryOf(detail) {
    const summary = Object.assign({}, detail);
    delete summary.messages;
    delete summary.context;
    delete summary.signals;
    return summary;
  }

  /** Shows a chat in the middle (and its context on the right) from the `open` ack. */
  async function openChat(id, options) {
    const opts = options || {};
    if (!opts.keepFocus) setView('chat');
    if (!opts.force && state.openId === id && state.detail) {
      $('#reply').focus();
      return;
    }
    if (state.openId !== id) switchTo(id);
    delete state.unread[id];
    renderChats();
    if (!state.detail) renderChatPanel();
    try {
      const answer = await request('open', { conversation_id: id });
      if (state.openId !== id) return; // the agent has moved on meanwhile
      if (!answer.conversation) throw new Error(t('error.generic'));
      showDetail(answer.conversation, { focusReply: !opts.keepFocus });
    } catch (error) {
      toast(error.message);
      if (state.openId === id && !state.detail) {
        switchTo(null);
        setView('list');
        renderChats();
        renderChatPanel();
      }
    }
  }

  function showDetail(detail, options) {
    // Messages that arrived while the detail was on its way are merged in (no duplicates).
    detail.messages = mergeMessages(detail.messages || [], state.pending);
    state.pending = [];
    state.detail = detail;
    state.cannedPick = null;
    showRemoteTyping(false);
    renderChats();
    renderChatPanel();
    if (options && options.focusReply && canWrite()) $('#reply').focus();
  }

  /**
   * Makes `id` the chat in the middle: the typing signal of the old chat stops and each chat
   * keeps its own unsent draft (a draft must never be sent to another shopper).
   */
  function switchTo(id) {
    if (state.openId === id) return;
    stopTyping();
    const reply = $('#reply');
    if (state.openId) state.drafts[state.openId] = reply.value;
    reply.value = (id && state.drafts[id]) || '';
    if (id) delete state.drafts[id];
    state.openId = id;
    state.detail = null;
    state.pending = [];
    state.cannedPick = null;
  }

  /** Where the keyboard goes when its control disappears (closed chat, answered offer). */
  function focusWorkArea() {
    const target = canWrite() ? $('#reply') : ($('#my-chats .chat-open') || $('#availability'));
    target.focus();
  }

  // ===================================================================== one column at a time (phones)

  /**
   * Which column a narrow screen shows: 'list' (availability, queue, my chats), 'chat' or
   * 'context'. console.css shows all three side by side on wider screens and ignores it there.
   */
  function setView(view) {
    $('#app-view').setAttribute('data-view', view);
  }

  /** A back or forward control of the phone layout: the new column gets the keyboard. */
  function goTo(view) {
    setView(view);
    if (view === 'list') {
      const open = state.openId && document.querySelector('#my-chats [data-id="' + CSS.escape(state.openId) + '"] .chat-open');
      (open || $('#availability')).focus();
    } else if (view === 'context') {
      $('#context-back').focus();
    } else {
      (canWrite() ? $('#reply') : $('#chat-back')).focus();
    }
  }

  function mergeMessages(messages, extra) {
    const byId = new Map();
    messages.concat(extra).forEach(function (message) { byId.set(message.id, message); });
    return Array.from(byId.values()).sort(function (a, b) { return a.id - b.id; });
  }

  /** After close, hand back or transfer: the chat is no longer ours. */
  function forgetChat(id) {
    state.chats = state.chats.filter(function (chat) { return chat.id !== id; });
    delete state.unread[id];
    if (state.openId === id) {
      switchTo(null);
      setView('list');
    }
    delete state.drafts[id];
    renderChats();
    renderChatPanel();
    focusWorkArea();
  }

  // ===================================================================== the middle: chat panel

  function renderChatPanel() {
    const detail = state.detail && state.detail.id === state.openId ? state.detail : null;
    const loading = !!state.openId && !detail;
    const writable = canWrite();

    $('#chat-title').textContent = detail ? customerName(detail) : (loading ? t('chat.loading') : t('chat.none'));
    $('#chat-meta').textContent = detail ? t('chat.meta', {
      lang: t('langName.' + (detail.language === 'en' ? 'en' : 'tr')),
      state: stateText(detail.state),
      time: detail.messages.length ? formatTime(detail.messages[0].time) : '',
    }) : '';
    renderBanner(detail, writable);
    $('#chat-empty').hidden = !!state.openId;
    $('#transcript').hidden = !state.openId;

    ['#transfer', '#hand-back', '#close-chat', '#reply', '#send', '#note-toggle'].forEach(function (selector) {
      $(selector).disabled = !writable;
    });
    $('#show-context').disabled = !detail;
    renderCannedOptions();
    renderComposerMode();
    renderTranscript(detail);
    renderContext(detail);
  }

  /** Read-only views say why; a queued chat can be taken from here. */
  function renderBanner(detail, writable) {
    const queued = !!detail && state.queue.some(function (q) { return q.id === detail.id; });
    $('#chat-banner').hidden = !detail || writable;
    $('#chat-banner-text').textContent = t(queued ? 'chat.preview' : 'chat.readOnly');
    $('#banner-accept').hidden = !queued;
    $('#banner-accept').disabled = false;
  }

  function renderTranscript(detail) {
    const transcript = $('#transcript');
    // role="log" reads out what is added; a whole transcript being (re)drawn is not news.
    transcript.setAttribute('aria-live', 'off');
    clear(transcript);
    if (detail) {
      detail.messages.forEach(function (message) { transcript.appendChild(messageElement(message)); });
      transcript.scrollTop = transcript.scrollHeight;
    }
    setTimeout(function () { transcript.setAttribute('aria-live', 'polite'); }, 0);
  }

  /** Adds a message to the open chat (from an ack or an event); ignores ones already shown. */
  function addMessage(conversationId, message) {
    if (conversationId !== state.openId) return;
    const detail = state.detail;
    if (!detail || detail.id !== conversationId) {
      state.pending.push(message);  // the `open` ack is on its way
      return;
    }
    if (detail.messages.some(function (m) { return m.id === message.id; })) return;
    detail.messages.push(message);
    const transcript = $('#transcript');
    const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < NEAR_BOTTOM_PX;
    transcript.appendChild(messageElement(message));
    // Own messages always scroll into view; others only if the agent was at the end already.
    if (nearBottom || message.sender === 'agent' || message.sender === 'note') {
      transcript.scrollTop = transcript.scrollHeight;
    }
  }

  function senderLabel(message) {
    switch (message.sender) {
      case 'agent': return message.agent_name || t('sender.agent');
      case 'note': return t('sender.note') + (message.agent_name ? ' · ' + message.agent_name : '');
      case 'shopper':
      case 'bot':
      case 'system':
        return t('sender.' + message.sender);
      default: return String(message.sender || '');
    }
  }

  function messageElement(message) {
    const node = el('div', 'msg msg-' + (message.sender || 'unknown'));
    node.setAttribute('data-sender', message.sender || '');
    node.setAttribute('data-id', message.id);
    const meta = el('div', 'msg-meta');
    meta.appendChild(el('span', 'msg-who', senderLabel(message)));
    const time = el('time', 'msg-time', formatTime(message.time));
    if (message.time) time.setAttribute('datetime', message.time);
    meta.appendChild(time);
    node.appendChild(meta);
    node.appendChild(el('div', 'msg-text', message.text || ''));
    const replies = message.quick_replies || [];
    if (replies.length) {
      const titles = replies.map(function (reply) { return reply.title || reply.payload || ''; });
      node.appendChild(el('div', 'msg-replies', t('msg.suggestions') + titles.join(' · ')));
    }
    return node;
  }

  function showRemoteTyping(active) {
    clearTimeout(state.typingInTimer);
    $('#typing-indicator').textContent = active ? t('chat.typing') : '';
    if (active) state.typingInTimer = setTimeout(function () { showRemoteTyping(false); }, REMOTE_TYPING_MS);
  }

  // ===================================================================== composer

  /** The composer says which way the next message goes: to the customer, or an internal note. */
  function renderComposerMode() {
    const asNote = $('#note-toggle').checked;
    $('#composer').classList.toggle('note-mode', asNote);
    const mode = $('#composer-mode');
    mode.setAttribute('data-mode', asNote ? 'note' : 'reply');
    mode.textContent = t(asNote ? 'composer.modeNote' : 'composer.modeReply');
    $('#reply').placeholder = t(asNote ? 'composer.notePlaceholder' : 'composer.replyPlaceholder');
    $('#send').textContent = t(asNote ? 'composer.sendNote' : 'composer.send');
  }

  function setNoteMode(asNote) {
    $('#note-toggle').checked = asNote;
    renderComposerMode();
  }

  function onNoteToggle() {
    // Notes are not the shopper's business: stop showing them "agent is typing".
    if ($('#note-toggle').checked) stopTyping();
    renderComposerMode();
    $('#reply').focus();
  }

  function onReplyKeydown(event) {
    // Enter sends, Shift+Enter makes a new line; not while an IME is composing a character.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitReply();
    }
  }

  async function submitReply(event) {
    if (event) event.preventDefault();
    const reply = $('#reply');
    const text = reply.value.trim();
    if (!text || !canWrite()) return;
    const id = state.openId;
    const asNote = $('#note-toggle').checked;
    // Cleared at once so the agent can go on; given back if the server refuses it.
    reply.value = '';
    resetCannedPick();
    stopTyping();
    // A note is one message: what the agent writes next goes to the customer again, unless
    // they switch the note on once more (a reply written as a note by mistake is worse than
    // having to tick the box for every note).
    if (asNote) {
      setNoteMode(false);
      announce(t('composer.backToReply'));
    }
    try {
      const answer = await request(asNote ? 'note' : 'send', { conversation_id: id, text: text });
      if (answer.message) addMessage(id, answer.message);
    } catch (error) {
      if (state.openId === id && !reply.value) {
        reply.value = text;
        if (asNote) setNoteMode(true);
      }
      toast(error.message);
    }
  }

  // --- typing, throttled: one "active" every few seconds while typing, "inactive" when idle.

  function onReplyInput() {
    resetCannedPick();
    if (!canWrite() || $('#note-toggle').checked) return;
    if (!$('#reply').value) {
      stopTyping();
      return;
    }
    const typing = state.typingOut;
    const now = Date.now();
    if (!typing.active || typing.id !== state.openId || now - typing.sentAt > TYPING_THROTTLE_MS) {
      emitTyping(state.openId, true);
      typing.active = true;
      typing.id = state.openId;
      typing.sentAt = now;
    }
    clearTimeout(typing.idleTimer);
    typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    const typing = state.typingOut;
    clearTimeout(typing.idleTimer);
    if (typing.active) emitTyping(typing.id, false);
    typing.active = false;
  }

  function emitTyping(id, active) {
    // Fire and forget: a lost typing signal is harmless.
    if (state.socket && state.socket.connected && id) {
      state.socket.emit('typing', { conversation_id: id, active: active });
    }
  }

  // --- canned responses

  function chatLanguage() {
    return state.detail && state.detail.language === 'en' ? 'en' : 'tr';
  }

  function renderCannedOptions() {
    const select = $('#canned');
    const language = chatLanguage();
    clear(select);
    const placeholder = el('option', '', t('composer.cannedPlaceholder'));
    placeholder.value = '';
    select.appendChild(placeholder);
    state.canned.responses.forEach(function (response) {
      const option = el('option', '', pickLanguage(response.title, language) || response.key);
      option.value = response.key;
      select.appendChild(option);
    });
    select.value = '';
    select.disabled = !canWrite() || state.canned.responses.length === 0;
  }

  /**
   * Inserts the picked canned text at the caret, in the chat's language, for editing.
   * Arrowing through a closed <select> fires `change` on every step, so a pick replaces the
   * previous pick as long as the agent has not edited the reply since.
   */
  function insertCanned() {
    const select = $('#canned');
    const response = state.canned.responses.find(function (r) { return r.key === select.value; });
    if (!response) return;
    state.cannedPick = placeCanned($('#reply'), pickLanguage(response.text, chatLanguage()), state.cannedPick);
  }

  /** Puts `text` at the caret of `reply`, replacing `previous` (the last pick) if the agent has not
   *  edited since; returns the pick to remember. Shared by the chat's and the ticket's reply boxes. */
  function placeCanned(reply, text, previous) {
    const base = previous && reply.value === previous.result ? previous : {
      base: reply.value, start: reply.selectionStart, end: reply.selectionEnd,
    };
    const result = base.base.slice(0, base.start) + text + base.base.slice(base.end);
    reply.value = result;
    reply.setSelectionRange(base.start + text.length, base.start + text.length);
    return { base: base.base, start: base.start, end: base.end, result: result };
  }

  function resetCannedPick() {
    state.cannedPick = null;
    $('#canned').value = '';
  }

  // A pick with the mouse goes straight on to editing; with the keyboard, Enter does that.
  let cannedByPointer = false;

  function onCannedChange() {
    insertCanned();
    if (cannedByPointer) $('#reply').focus();
  }

  function onCannedKeydown(event) {
    cannedByPointer = false;
    if (event.key === 'Enter' && $('#canned').value) {
      event.preventDefault();
      $('#reply').focus();
    }
  }

  // ===================================================================== transfer, hand back, close

  /**
   * Colleagues who could take the open chat: online and speaking its language (the server
   * routes by language, so anyone else would only send it back to the queue). Free ones first.
   */
  function transferTargets() {
    const myId = state.me ? state.me.id : null;
    const language = chatLanguage();
    const free = function (agent) { return agent.available && agent.load < agent.max_chats; };
    return state.agents
      .filter(function (agent) {
        return agent.online && agent.id !== myId && (agent.languages || []).indexOf(language) !== -1;
      })
      .sort(function (a, b) { return Number(free(b)) - Number(free(a)) || a.load - b.load; });
  }

  function renderTransferOptions() {
    const select = $('#transfer-agent');
    const chosen = select.value;
    const colleagues = transferTargets();
    clear(select);
    colleagues.forEach(function (agent) {
      const option = el('option', '', t('transfer.option', {
        name: agent.display_name,
        status: t(!agent.available ? 'transfer.away' : agent.load >= agent.max_chats ? 'transfer.full' : 'transfer.available'),
        load: agent.load, max: agent.max_chats,
        langs: (agent.languages || []).map(langBadgeText).join('/'),
      }));
      option.value = String(agent.id);
      select.appendChild(option);
    });
    if (colleagues.some(function (a) { return String(a.id) === chosen; })) select.value = chosen;
    select.hidden = colleagues.length === 0;
    $('#transfer-none').hidden = colleagues.length > 0;
    $('#transfer-confirm').disabled = colleagues.length === 0;
  }

  function openTransferDialog() {
    if (!canWrite()) return;
    renderTransferOptions();
    $('#transfer-dialog').showModal();
  }

  async function confirmTransfer(event) {
    event.preventDefault();
    const select = $('#transfer-agent');
    const id = state.openId;
    if (!select.value || !id) return;
    const agentId = Number(select.value);
    const name = select.options[select.selectedIndex].textContent.split(' · ')[0];
    const button = $('#transfer-confirm');
    button.disabled = true;
    try {
      await request('transfer', { conversation_id: id, agent_id: agentId });
      $('#transfer-dialog').close();
      forgetChat(id);
      toast(t('transfer.done', { name: name }), 'info');
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
    }
  }

  async function handBack() {
    const id = state.openId;
    if (!id || !canWrite()) return;
    const button = $('#hand-back');
    button.disabled = true;
    try {
      await request('hand_back', { conversation_id: id });
      forgetChat(id);
      toast(t('handBack.done'), 'info');
    } catch (error) {
      button.disabled = !canWrite();
      toast(error.message);
    }
  }

  function openCloseDialog() {
    if (!canWrite()) return;
    const box = $('#close-tags');
    clear(box);
    // Tags are for the agents (reports), so in the UI's language, not the chat's.
    state.canned.tags.forEach(function (tag) {
      const label = el('label', 'tag');
      const input = el('input');
      input.type = 'checkbox';
      input.name = 'tag';
      input.value = tag.key;
      label.appendChild(input);
      label.appendChild(el('span', '', pickLanguage(tag.label, LANG) || tag.key));
      box.appendChild(label);
    });
    if (!state.canned.tags.length) box.appendChild(el('p', 'muted', t('close.noTags')));
    $('#close-note').value = '';
    $('#close-dialog').showModal();
  }

  async function confirmClose(event) {
    event.preventDefault();
    const id = state.openId;
    if (!id) return;
    const tags = Array.from(document.querySelectorAll('#close-tags input[name=tag]:checked'))
      .map(function (input) { return input.value; });
    const button = $('#close-confirm');
    button.disabled = true;
    try {
      await request('close', { conversation_id: id, tags: tags, note: $('#close-note').value.trim() });
      $('#close-dialog').close();
      forgetChat(id);
      toast(t('close.done'), 'info');
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
    }
  }

  // ===================================================================== the right column: context

  function renderContext(detail) {
    $('#context-empty').hidden = !!detail;
    $('#context-body').hidden = !detail;
    if (!detail) return;
    const context = detail.context || {};

    const reason = $('#context-reason');
    clear(reason);
    reason.appendChild(el('strong', 'reason-' + (detail.reason || 'none'), reasonText(detail.reason) || '—'));
    if (detail.queued_at) reason.appendChild(el('span', 'muted block', t('context.queuedAt', { time: formatTime(detail.queued_at) })));

    renderFrustration(detail);
    renderCustomer(context.customer, !!context.unavailable);
    renderTable('#context-orders', context.orders, [
      ['col.orderNo', 'order_no'], ['col.status', 'status', storeStatusText, 'wrap'], ['col.total', 'total'],
      ['col.date', 'placed_at', formatDate],
    ]);
    renderTable('#context-returns', context.returns, [
      ['col.rma', 'rma_code'], ['col.orderNo', 'order_no'], ['col.status', 'status', storeStatusText, 'wrap'],
    ]);
    renderTable('#context-complaints', context.complaints, [
      ['col.reference', 'reference'], ['col.category', 'category', categoryText, 'wrap'],
      ['col.date', 'created_at', formatDate],
    ]);
    renderTable('#context-earlier', context.earlier_conversations, [
      ['col.date', 'started_at', formatDate], ['col.reason', 'reason', reasonText],
      ['col.status', 'state', stateText, 'wrap'], ['col.rating', 'rating', formatRating],
    ]);
  }

  function formatRating(rating) {
    return rating === null || rating === undefined ? '—' : rating + '/5';
  }

  function renderFrustration(detail) {
    const score = frustrationScore(detail.frustration);
    const meter = $('#frustration-meter');
    meter.value = score;
    meter.textContent = score + '/100';
    $('#frustration-value').textContent = score + '/100';
    $('#context-frustration').setAttribute('data-score', score);
    const list = $('#context-signals');
    clear(list);
    const signals = detail.signals || [];
    signals.forEach(function (signal) { list.appendChild(el('li', 'signal', signalText(signal))); });
    if (!signals.length) list.appendChild(el('li', 'muted', t('context.noSignals')));
  }

  /** The customer's facts into `box` (the chat's context, or the ticket's: #tcontext-customer). */
  function renderCustomer(customer, unavailable, box) {
    box = box || $('#context-customer');
    clear(box);
    box.appendChild(el('h3', '', t('context.customer')));
    // The bridge could not ask the store: not knowing is not the same as "not verified".
    if (!customer && unavailable) {
      box.appendChild(el('p', 'unverified', t('context.unavailable')));
      return;
    }
    if (!customer) {
      box.appendChild(el('p', 'unverified', t('context.unverified')));
      box.appendChild(el('p', 'muted small', t('context.unverifiedHint')));
      return;
    }
    const list = el('dl', 'facts');
    [
      ['context.name', customer.name],
      ['context.email', customer.email],
      ['context.phone', customer.phone_last4 ? t('context.phoneMasked', { last4: customer.phone_last4 }) : ''],
    ].forEach(function (row) {
      if (!row[1]) return;
      list.appendChild(el('dt', '', t(row[0])));
      list.appendChild(el('dd', '', row[1]));
    });
    box.appendChild(list);
  }

  /**
   * A small table; columns are [string key, field, optional formatter, optional 'wrap'].
   * Codes, amounts and dates stay on one line; only 'wrap' columns (words) break.
   */
  function renderTable(selector, rows, columns) {
    const box = $(selector);
    clear(box);
    if (!rows || !rows.length) {
      box.appendChild(el('p', 'muted small', t('context.none')));
      return;
    }
    const table = el('table', 'mini');
    const head = el('tr');
    columns.forEach(function (column) {
      const th = el('th', 'field-' + column[1], t(column[0]));
      th.scope = 'col';
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    const body = el('tbody');
    rows.forEach(function (row) {
      const tr = el('tr');
      columns.forEach(function (column) {
        const value = row[column[1]];
        const shown = column[2] ? column[2](value) : value;
        tr.appendChild(el('td', 'field-' + column[1] + (column[3] === 'wrap' ? ' wrap' : ''),
          shown === null || shown === undefined || shown === '' ? '—' : shown));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  // ===================================================================== "the assistant should have known this"
  //
  // Self-contained: an agent marks a shopper message (a button on the message) or the whole chat
  // (#suggest-chat) for the editors' inbox, with an optional suggested answer (`suggest_knowledge`),
  // and sees what became of their marks (#kb-marks, `my_suggestions`). It watches the transcript
  // and the page rather than hooking into the rendering above; its texts are the kb.* keys of the catalogue.

  const kb = { target: null, marked: new Set() };  // target: {conversationId, messageId (null: the chat)}

  function kt(key) {
    return t('kb.' + key);
  }

  function kbKey(conversationId, messageId) {
    return conversationId + ':' + (messageId === null || messageId === undefined ? 'chat' : messageId);
  }

  function kbOpenDetail() {
    return state.detail && state.detail.id === state.openId ? state.detail : null;
  }

  function bindKnowledgeMarks() {
    $('#suggest-chat').title = kt('chatTitle');
    const transcript = $('#transcript');
    // The transcript is redrawn for every chat and grows with every message: decorate what is new.
    new MutationObserver(decorateTranscript).observe(transcript, { childList: true });
    transcript.addEventListener('click', function (event) {
      const button = event.target.closest('.kb-mark');
      if (button) openSuggestDialog(Number(button.getAttribute('data-message-id')));
    });
    $('#suggest-chat').addEventListener('click', function () { openSuggestDialog(null); });
    $('#suggest-form').addEventListener('submit', submitSuggestion);
    $('#suggest-cancel').addEventListener('click', function () { $('#suggest-dialog').close(); });
    $('#kb-marks').addEventListener('toggle', function () { if ($('#kb-marks').open) loadMarks(); });
    // Logged out (the app is hidden): forget what this agent marked.
    new MutationObserver(function () { if ($('#app-view').hidden) forgetMarks(); })
      .observe($('#app-view'), { attributes: true, attributeFilter: ['hidden'] });
    decorateTranscript();
  }

  /** A button on every shopper message of the open chat; the chat's button once it is loaded. */
  function decorateTranscript() {
    const detail = kbOpenDetail();
    $('#suggest-chat').disabled = !detail;
    if (!detail) return;
    document.querySelectorAll('#transcript .msg[data-sender="shopper"]').forEach(function (node) {
      const id = Number(node.getAttribute('data-id'));
      const meta = node.querySelector('.msg-meta');
      if (!id || !meta || node.querySelector('.kb-mark')) return;
      const button = el('button', 'kb-mark');
      button.type = 'button';
      button.title = kt('messageTitle');
      button.setAttribute('data-message-id', String(id));
      showMarked(button, kb.marked.has(kbKey(detail.id, id)));
      meta.appendChild(button);
    });
  }

  function showMarked(button, marked) {
    button.classList.toggle('kb-marked', marked);
    button.textContent = marked ? kt('marked') : kt('message');
  }

  function refreshMarkButtons() {
    const detail = kbOpenDetail();
    $('#suggest-chat').title = kt('chatTitle');
    document.querySelectorAll('#transcript .kb-mark').forEach(function (button) {
      const id = Number(button.getAttribute('data-message-id'));
      button.title = kt('messageTitle');
      showMarked(button, !!detail && kb.marked.has(kbKey(detail.id, id)));
    });
  }

  function openSuggestDialog(messageId) {
    const detail = kbOpenDetail();
    if (!detail) {
      toast(kt('noChat'));
      return;
    }
    const message = messageId === null ? null
      : detail.messages.find(function (m) { return m.id === messageId; }) || null;
    const shopperLines = detail.messages.filter(function (m) { return m.sender === 'shopper'; })
      .slice(-5).map(function (m) { return m.text; });
    kb.target = { conversationId: detail.id, messageId: message ? message.id : null };
    $('#suggest-what').textContent = kt(message ? 'whatMessage' : 'whatChat');
    $('#suggest-quote').textContent = message ? message.text : shopperLines.join('\n');
    $('#suggest-answer').value = '';
    $('#suggest-confirm').disabled = false;
    $('#suggest-dialog').showModal();
    $('#suggest-answer').focus();
  }

  async function submitSuggestion(event) {
    event.preventDefault();
    const target = kb.target;
    if (!target) return;
    const button = $('#suggest-confirm');
    const payload = { conversation_id: target.conversationId };
    if (target.messageId !== null) payload.message_id = target.messageId;
    const answer = $('#suggest-answer').value.trim();
    if (answer) payload.suggested_answer = answer;
    button.disabled = true;
    try {
      const ack = await request('suggest_knowledge', payload);
      kb.marked.add(kbKey(target.conversationId, target.messageId));
      kb.target = null;
      $('#suggest-dialog').close();
      toast(kt(ack.suggestion && ack.suggestion.updated ? 'updated' : 'done'), 'info');
      refreshMarkButtons();
      if ($('#kb-marks').open) loadMarks();
    } catch (error) {
      toast(error.message);
    } finally {
      button.disabled = false;
    }
  }

  async function loadMarks() {
    try {
      const ack = await request('my_suggestions', {});
      renderMarks(ack.suggestions || []);
    } catch (error) {
      toast(kt('listFailed') + ' ' + error.message);
    }
  }

  function renderMarks(marks) {
    const list = $('#kb-marks-list');
    clear(list);
    marks.forEach(function (mark) {
      kb.marked.add(kbKey(mark.conversation_id, mark.message_id));
      const item = el('li', 'kb-mark-item');
      item.setAttribute('data-id', mark.id);
      item.setAttribute('data-status', mark.status);
      const text = el('div', 'kb-mark-text', mark.text);
      text.title = mark.text;
      item.appendChild(text);
      item.appendChild(el('p', 'kb-mark-outcome', mark.outcome));
      const time = el('time', 'muted small', formatDate(mark.created_at));
      if (mark.created_at) time.setAttribute('datetime', mark.created_at);
      item.appendChild(time);
      list.appendChild(item);
    });
    $('#kb-marks-empty').hidden = marks.length > 0;
    refreshMarkButtons();
  }

  function forgetMarks() {
    kb.marked.clear();
    kb.target = null;
    clear($('#kb-marks-list'));
    $('#kb-marks-empty').hidden = false;
    $('#kb-marks').open = false;
    if ($('#suggest-dialog').open) $('#suggest-dialog').close();
  }

  // ===================================================================== tickets
  //
  // The Tickets view beside the live chats (#app-view[data-section=tickets]): the list with its
  // views, category filter and search (GET /api/tickets), the ticket page (GET /api/tickets/{id}:
  // header, owner, deadline, the customer's words, the linked chat, the thread) with a reply box,
  // "add note" and the status buttons, and the customer on the right. REST with the login's token;
  // refusals are worded from ticketError.<code>. The list and the open ticket reload when the
  // bridge says `tickets_changed` on the agents' socket, and the list every minute anyway.

  const TICKET_REFRESH_MS = 60000;   // the list, when no `tickets_changed` came
  const TICKET_RELOAD_DELAY_MS = 250; // several changes in a row reload once
  const CLOSE_CONFIRM_MS = 5000;     // the second press on "Kapat" must come within this
  const TICKET_VIEWS = ['mine', 'unassigned', 'breaching', 'open', 'waiting', 'resolved', 'closed', 'all'];
  const OPEN_TICKET_STATUSES = ['new', 'open', 'waiting'];

  const tk = {
    section: 'chats',
    view: 'mine',
    category: '',
    q: '',
    rows: [],
    categories: [],
    listLoaded: false,
    skewMs: 0,           // the server's clock minus this computer's, from the answers' `now`
    openId: null,
    detail: null,
    agents: [],
    busy: false,         // a change of the open ticket is on its way
    closeArmedUntil: 0,
    cannedPick: null,
    listTimer: 0,
    ticketTimer: 0,
    refreshTimer: 0,
    listRequest: 0,      // only the newest list answer is shown
    drafts: {},          // ticket id -> unsent reply text
  };

  const ticketStatusText = function (key) { return wordFrom('ticketStatus.', key); };
  const ticketSourceText = function (key) { return wordFrom('ticketSource.', key); };
  const ticketChannelText = function (key) { return wordFrom('ticketChannel.', key); };
  const segmentText = function (key) { return wordFrom('segment.', key); };

  /** A refusal of the Tickets API in the console's language: by its code, else the server's words. */
  function ticketErrorText(data) {
    if (data && data.code && Words.has('ticketError.' + data.code)) {
      return t('ticketError.' + data.code, data.params && typeof data.params === 'object' ? data.params : {});
    }
    return errorMessage(data && (data.message || data.error));
  }

  /**
   * Calls the Tickets API; resolves with the JSON answer, rejects with an Error whose message is
   * the refusal in words (`code` and `status` on it). A 401 ends the session (`silent` error).
   */
  async function ticketApi(method, path, body) {
    const url = path + (path.indexOf('?') === -1 ? '?' : '&') + 'lang=' + encodeURIComponent(LANG);
    const options = { method: method, headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (_) {
      throw new Error(t('error.generic'));
    }
    if (response.status === 401) {
      endSession(t('login.expired'));
      throw Object.assign(new Error(t('login.expired')), { status: 401, silent: true });
    }
    const data = await readJson(response);
    if (!response.ok || !data) {
      throw Object.assign(new Error(ticketErrorText(data)), { status: response.status, code: data && data.code });
    }
    if (data.now) {
      const serverNow = parseTime(data.now);
      if (serverNow) tk.skewMs = serverNow.getTime() - Date.now();
    }
    return data;
  }

  function ticketFailed(error) {
    if (!error.silent && state.token) toast(error.message);
  }

  // --- the switch between live chats and tickets

  /** 'chats' or 'tickets'; the chats' socket, offers and sounds go on while tickets are shown. */
  function showSection(section) {
    const tickets = section === 'tickets';
    tk.section = tickets ? 'tickets' : 'chats';
    $('#app-view').setAttribute('data-section', tk.section);
    $('#chats-view').hidden = tickets;
    $('#tickets-view').hidden = !tickets;
    document.querySelectorAll('.section-switch [data-section]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-section') === tk.section));
    });
    if (tickets) {
      loadTicketList();
      loadTicketAgents();
      if (tk.openId) loadTicket(tk.openId, { keepFocus: true });
    }
  }

  /** Which column a phone shows in the tickets: 'list', 'ticket' or 'customer'. */
  function setTicketView(view) {
    $('#tickets-view').setAttribute('data-tview', view);
  }

  function goToTicketColumn(view) {
    setTicketView(view);
    if (view === 'list') {
      const open = tk.openId && document.querySelector('#ticket-list [data-id="' + tk.openId + '"] .ticket-open');
      (open || $('#ticket-q')).focus();
    } else if (view === 'customer') {
      $('#ticket-context-back').focus();
    } else {
      $('#ticket-title').focus();
    }
  }

  // --- deadlines

  /** A span of time in words: "12 dk", "2 sa 10 dk", "3 g 4 sa". */
  function formatSpan(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 3600) return t('dur.minutes', { m: Math.max(1, Math.floor(s / 60)) });
    if (s < 86400) return t('hoursShort', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
    return t('dur.days', { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) });
  }

  /** How a deadline stands: 'breached', 'breaching' (the server's support-time window) or 'ok'. */
  function dueState(row) {
    if (!row || !row.next_due) return 'none';
    const due = parseTime(row.next_due);
    if (row.breached || (due && due.getTime() < Date.now() + tk.skewMs)) return 'breached';
    return row.breaching ? 'breaching' : 'ok';
  }

  /** "İlk yanıt: 2 sa 10 dk kaldı (18:00)" or "Çözüm: süresi 3 sa önce doldu (22.11 09:00)". */
  function dueText(row) {
    if (!row || !row.next_due) return t('due.none');
    const due = parseTime(row.next_due);
    const left = (due.getTime() - (Date.now() + tk.skewMs)) / 1000;
    const span = formatSpan(Math.abs(left));
    return t('due.line', {
      kind: t(row.next_due_kind === 'first_response' ? 'due.firstResponse' : 'due.resolution'),
      relative: left >= 0 ? t('due.left', { time: span }) : t('due.passed', { time: span }),
      at: formatTime(row.next_due),
    });
  }

  /** Fills a deadline's element: the flag in words (not only its colour) and the text. */
  function renderDue(node, row) {
    const stateNow = dueState(row);
    node.setAttribute('data-due', stateNow);
    clear(node);
    if (stateNow === 'breached' || stateNow === 'breaching') {
      node.appendChild(el('strong', 'due-flag', t(stateNow === 'breached' ? 'due.breached' : 'due.breaching')));
      node.appendChild(document.createTextNode(' '));
    }
    const text = el('span', 'due-text', dueText(row));
    if (row && row.next_due) {
      const time = el('time');
      time.setAttribute('datetime', row.next_due);
      time.appendChild(text);
      node.appendChild(time);
    } else {
      node.appendChild(text);
    }
  }

  /** Once a second (the console's tick): the relative due times on the page. */
  function tickTickets() {
    if (tk.section !== 'tickets') return;
    document.querySelectorAll('#ticket-list .ticket-item').forEach(function (item) {
      const row = tk.rows.find(function (r) { return String(r.id) === item.getAttribute('data-id'); });
      const node = item.querySelector('.ticket-due');
      if (row && node) {
        renderDue(node, row);
        item.setAttribute('data-due', dueState(row));
      }
    });
    if (tk.detail && tk.detail.id === tk.openId) renderDue($('#ticket-due'), tk.detail);
  }

  // --- the list

  function ticketListPath() {
    const params = ['view=' + encodeURIComponent(tk.view)];
    if (tk.category) params.push('category=' + encodeURIComponent(tk.category));
    if (tk.q) params.push('q=' + encodeURIComponent(tk.q));
    return '/api/tickets?' + params.join('&');
  }

  async function loadTicketList() {
    if (!state.token) return;
    const number = ++tk.listRequest;
    try {
      const data = await ticketApi('GET', ticketListPath());
      if (number !== tk.listRequest) return;  // a newer list was asked for meanwhile
      tk.rows = data.tickets || [];
      tk.categories = data.categories || [];
      tk.listLoaded = true;
      renderTicketList();
    } catch (error) {
      if (number === tk.listRequest && !error.silent && state.token) toast(t('tickets.loadFailed') + ' ' + error.message);
    }
  }

  async function loadTicketAgents() {
    try {
      tk.agents = (await ticketApi('GET', '/api/tickets/agents')).agents || [];
      if (tk.detail) renderTicketOwner(tk.detail);
    } catch (error) {
      ticketFailed(error);
    }
  }

  function renderTicketFilters() {
    document.querySelectorAll('#ticket-views [data-view]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-view') === tk.view));
    });
    const select = $('#ticket-category');
    const known = tk.categories.slice();
    if (tk.category && known.indexOf(tk.category) === -1) known.push(tk.category);
    // Rebuilt only when the choices change: a refresh must not close the list under the agent's pointer.
    const signature = LANG + '|' + known.join('|');
    if (select.getAttribute('data-signature') !== signature) {
      select.setAttribute('data-signature', signature);
      clear(select);
      const any = el('option', '', t('tickets.allCategories'));
      any.value = '';
      select.appendChild(any);
      known.forEach(function (category) {
        const option = el('option', '', categoryText(category));
        option.value = category;
        select.appendChild(option);
      });
    }
    select.value = tk.category;
    $('#ticket-searching').hidden = !tk.q;
    $('#ticket-searching-text').textContent = tk.q ? t('tickets.searching', { q: tk.q }) : '';
    $('#ticket-list-title').textContent = t('tickets.view.' + tk.view);
  }

  function renderTicketList() {
    renderTicketFilters();
    const list = $('#ticket-list');
    keepFocus(list, function () {
      clear(list);
      tk.rows.forEach(function (row) { list.appendChild(ticketItem(row)); });
    });
    $('#ticket-count').textContent = tk.listLoaded ? '(' + tk.rows.length + ')' : '';
    const empty = $('#ticket-list-empty');
    empty.hidden = !tk.listLoaded || tk.rows.length > 0;
    empty.textContent = t(tk.q ? 'tickets.emptySearch' : 'tickets.empty');
  }

  function ticketItem(row) {
    const item = el('li', 'ticket-item');
    item.setAttribute('data-id', String(row.id));
    item.setAttribute('data-status', row.status);
    item.setAttribute('data-due', dueState(row));
    if (row.id === tk.openId) item.classList.add('is-open');

    const button = el('button', 'ticket-open');
    button.type = 'button';
    button.setAttribute('data-role', 'open');
    button.setAttribute('aria-label', t('tickets.openLabel', { code: row.code }));
    if (row.id === tk.openId) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', function () { openTicket(row.id); });

    const top = el('span', 'item-top');
    top.appendChild(el('span', 'ticket-code', row.code));
    top.appendChild(el('span', 'badge lang', langBadgeText(row.language)));
    top.appendChild(el('span', 'ticket-status-badge', ticketStatusText(row.status)));
    button.appendChild(top);

    button.appendChild(el('span', 'ticket-who', [
      categoryText(row.category), row.customer_first_name || t('customer.guest'),
      row.owner && row.owner.name ? row.owner.name : t('tickets.nobody'),
    ].join(' · ')));

    const due = el('span', 'ticket-due');
    renderDue(due, row);
    button.appendChild(due);
    if (row.preview) button.appendChild(el('span', 'item-preview', row.preview));
    item.appendChild(button);
    return item;
  }

  function scheduleListReload() {
    clearTimeout(tk.listTimer);
    tk.listTimer = setTimeout(loadTicketList, TICKET_RELOAD_DELAY_MS);
  }

  function setTicketFilter(view) {
    if (TICKET_VIEWS.indexOf(view) === -1) return;
    tk.view = view;
    renderTicketFilters();
    loadTicketList();
  }

  /** A code, an e-mail or an order number is looked for among all tickets, not only the view's. */
  function onTicketSearch(event) {
    event.preventDefault();
    tk.q = $('#ticket-q').value.trim();
    if (tk.q) tk.view = 'all';
    renderTicketFilters();
    loadTicketList();
  }

  function clearTicketSearch() {
    tk.q = '';
    $('#ticket-q').value = '';
    renderTicketFilters();
    loadTicketList();
    $('#ticket-q').focus();
  }

  // --- the ticket page

  function openTicket(id) {
    if (tk.openId !== id) {
      const reply = $('#ticket-reply');
      if (tk.openId && reply.value.trim() && tk.detail) tk.drafts[tk.openId] = reply.value;
      reply.value = tk.drafts[id] || '';
      delete tk.drafts[id];
      tk.openId = id;
      tk.detail = null;
      tk.cannedPick = null;
      tk.closeArmedUntil = 0;
    }
    setTicketView('ticket');
    renderTicketList();
    renderTicketPage();
    loadTicket(id, {});
  }

  async function loadTicket(id, options) {
    try {
      const data = await ticketApi('GET', '/api/tickets/' + id);
      if (tk.openId !== id) return;  // the agent has moved on meanwhile
      tk.detail = data.ticket;
      renderTicketPage();
      if (!options.keepFocus) $('#ticket-title').focus();
    } catch (error) {
      ticketFailed(error);
      if (tk.openId === id && !tk.detail) {
        tk.openId = null;
        setTicketView('list');
        renderTicketList();
        renderTicketPage();
      }
    }
  }

  function scheduleTicketReload() {
    clearTimeout(tk.ticketTimer);
    const id = tk.openId;
    tk.ticketTimer = setTimeout(function () { if (id && tk.openId === id) loadTicket(id, { keepFocus: true }); },
      TICKET_RELOAD_DELAY_MS);
  }

  function ticketIsOpen(detail) {
    return !!detail && OPEN_TICKET_STATUSES.indexOf(detail.status) !== -1;
  }

  function renderTicketPage() {
    const detail = tk.detail && tk.detail.id === tk.openId ? tk.detail : null;
    const loading = !!tk.openId && !detail;
    $('#ticket-title').textContent = detail ? detail.code : t(loading ? 'ticket.loading' : 'ticket.none');
    $('#ticket-meta').textContent = detail ? t('ticket.meta', {
      category: categoryText(detail.category), source: ticketSourceText(detail.source),
      lang: t('langName.' + (detail.language === 'en' ? 'en' : 'tr')), time: formatTime(detail.created_at),
    }) : '';
    const status = $('#ticket-status');
    status.hidden = !detail;
    status.textContent = detail ? ticketStatusText(detail.status) : '';
    status.setAttribute('data-status', detail ? detail.status : '');
    $('#ticket-empty').hidden = !!tk.openId;
    $('#ticket-body').hidden = !detail;
    $('#ticket-composer').hidden = !detail;
    $('#ticket-show-customer').disabled = !detail;
    renderTicketContext(detail);
    if (!detail) {
      document.querySelectorAll('.ticket-status-actions [data-status]').forEach(function (button) { button.hidden = true; });
      return;
    }

    renderDue($('#ticket-due'), detail);
    renderTicketOwner(detail);
    renderSegments($('#ticket-segments'), detail.segments);
    const contact = [detail.email ? t('ticket.email', { email: detail.email }) : t('ticket.noEmail')];
    if (detail.order_no) contact.push(t('ticket.order', { order: detail.order_no }));
    if (detail.reopened) contact.push(t('ticket.reopened', { n: detail.reopened }));
    if (detail.rating) contact.push(t('ticket.rating', { score: detail.rating }));
    $('#ticket-contact').textContent = contact.join(' · ');
    $('#ticket-readonly').hidden = detail.status !== 'closed';
    $('#ticket-words').textContent = detail.text || '—';
    renderTicketTranscript(detail);
    renderThread(detail);
    renderTicketComposer(detail);
  }

  function renderSegments(list, segments) {
    clear(list);
    (segments || []).forEach(function (segment) {
      list.appendChild(el('li', 'segment segment-' + segment, segmentText(segment)));
    });
    list.hidden = !(segments || []).length;
  }

  function renderTicketOwner(detail) {
    const select = $('#ticket-owner');
    const ownerId = detail.owner ? detail.owner.id : null;
    clear(select);
    const nobody = el('option', '', t('tickets.nobody'));
    nobody.value = '';
    select.appendChild(nobody);
    const agents = tk.agents.slice();
    if (ownerId && !agents.some(function (a) { return a.id === ownerId; })) {
      agents.push({ id: ownerId, name: detail.owner.name || String(ownerId), languages: [], open_tickets: 0 });
    }
    agents.forEach(function (agent) {
      const option = el('option', '', t('ticket.ownerOption', {
        name: agent.name, langs: (agent.languages || []).map(langBadgeText).join('/') || '—',
        load: agent.open_tickets || 0,
      }));
      option.value = String(agent.id);
      select.appendChild(option);
    });
    select.value = ownerId ? String(ownerId) : '';
    const changeable = ticketIsOpen(detail) && !tk.busy;
    select.disabled = !changeable;
    $('#ticket-assign').disabled = !changeable;
  }

  function renderTicketTranscript(detail) {
    const messages = detail.transcript || [];
    const box = $('#ticket-transcript-box');
    $('#ticket-transcript-title').textContent = messages.length
      ? t('ticket.transcript', { n: messages.length }) : t('ticket.noTranscript');
    box.classList.toggle('is-empty', !messages.length);
    const transcript = $('#ticket-transcript');
    clear(transcript);
    messages.forEach(function (message) { transcript.appendChild(messageElement(message)); });
  }

  function renderThread(detail) {
    const list = $('#ticket-thread');
    clear(list);
    const entries = detail.thread || [];
    entries.forEach(function (entry) { list.appendChild(threadEntry(entry)); });
    $('#ticket-thread-empty').hidden = entries.some(function (e) { return e.kind !== 'event'; });
  }

  /** Who wrote an entry, and how it went or came. */
  function entryHeading(entry) {
    const name = entry.author && entry.author.name ? entry.author.name : t('sender.agent');
    switch (entry.kind) {
      case 'reply': return t('entry.reply', { name: name });
      case 'customer': return t('entry.customer');
      case 'note': return t('entry.by', { what: t('entry.note'), name: name });
      default: return '';
    }
  }

  /** An event in words: opened, assigned, unassigned, status, reopened (bot/tickets/store.py). */
  function eventText(entry) {
    const event = entry.event || {};
    const params = {
      source: ticketSourceText(event.source), to: event.to_name || (event.to ? String(event.to) : ''),
      from: ticketStatusText(event.from),
    };
    if (event.event === 'status') params.to = ticketStatusText(event.to);
    const text = Words.has('ticketEvent.' + event.event) ? t('ticketEvent.' + event.event, params)
      : wordFrom('ticketEvent.', event.event);
    return entry.author && entry.author.name ? t('entry.by', { what: text, name: entry.author.name }) : text;
  }

  function threadEntry(entry) {
    const item = el('li', 'entry entry-' + entry.kind);
    item.setAttribute('data-kind', entry.kind);
    item.setAttribute('data-id', String(entry.id));
    const meta = el('div', 'msg-meta');
    if (entry.kind === 'event') {
      meta.appendChild(el('span', 'entry-event', eventText(entry)));
    } else {
      meta.appendChild(el('span', 'msg-who', entryHeading(entry)));
      if (entry.channel) meta.appendChild(el('span', 'entry-channel', ticketChannelText(entry.channel)));
      if (entry.mail === 'sent') meta.appendChild(el('span', 'entry-mail', t('mail.sent')));
      if (entry.mail === 'failed') {
        meta.appendChild(el('span', 'entry-mail entry-mail-failed', t('mail.failed', { error: entry.mail_error || '—' })));
      }
    }
    const time = el('time', 'msg-time', formatTime(entry.created_at));
    if (entry.created_at) time.setAttribute('datetime', entry.created_at);
    meta.appendChild(time);
    item.appendChild(meta);
    if (entry.kind !== 'event') item.appendChild(el('div', 'msg-text', entry.text));
    return item;
  }

  function renderTicketComposer(detail) {
    const open = ticketIsOpen(detail);
    const closed = detail.status === 'closed';
    $('#ticket-reply').disabled = closed;
    $('#ticket-send').disabled = closed || tk.busy;
    $('#ticket-note').disabled = closed || tk.busy;
    // The buttons that make sense from here: nothing leads back from "closed".
    const shown = {
      'ticket-resolve': open,
      'ticket-wait': detail.status === 'new' || detail.status === 'open',
      'ticket-reopen': detail.status === 'waiting' || detail.status === 'resolved',
      'ticket-close': !closed,
    };
    Object.keys(shown).forEach(function (id) {
      const button = document.getElementById(id);
      button.hidden = !shown[id];
      button.disabled = tk.busy;
    });
    renderCloseButton();
    renderTicketCanned(detail);
  }

  function renderCloseButton() {
    const armed = Date.now() < tk.closeArmedUntil;
    $('#ticket-close').textContent = t(armed ? 'tstatus.closeConfirm' : 'tstatus.close');
  }

  function renderTicketCanned(detail) {
    const select = $('#ticket-canned');
    const responses = ticketCannedResponses(detail);
    clear(select);
    const placeholder = el('option', '', t('composer.cannedPlaceholder'));
    placeholder.value = '';
    select.appendChild(placeholder);
    responses.forEach(function (response) {
      const option = el('option', '', pickLanguage(response.title, detail.language) || response.key);
      option.value = response.key;
      select.appendChild(option);
    });
    select.value = '';
    select.disabled = detail.status === 'closed' || !responses.length;
  }

  function ticketCannedResponses(detail) {
    return (detail && detail.canned) || state.canned.responses || [];
  }

  /** The picked canned text at the caret, in the ticket's language; the next pick replaces it until edited. */
  function insertTicketCanned() {
    const detail = tk.detail;
    const select = $('#ticket-canned');
    const response = ticketCannedResponses(detail).find(function (r) { return r.key === select.value; });
    if (!response || !detail) return;
    tk.cannedPick = placeCanned($('#ticket-reply'), pickLanguage(response.text, detail.language), tk.cannedPick);
  }

  let ticketCannedByPointer = false;

  // --- changes

  /** One change of the open ticket at a time; the page and the list are reloaded after it. */
  async function changeTicket(path, body, done) {
    const id = tk.openId;
    if (!id || !tk.detail || tk.busy) return false;
    tk.busy = true;
    renderTicketComposer(tk.detail);
    renderTicketOwner(tk.detail);
    let ok = false;
    try {
      await ticketApi('POST', '/api/tickets/' + id + '/' + path, body);
      if (done) toast(done, 'info');
      ok = true;
    } catch (error) {
      ticketFailed(error);
    } finally {
      tk.busy = false;
      if (tk.openId === id) await loadTicket(id, { keepFocus: true });
      loadTicketList();
    }
    // What the agent just added is at the end of the thread: in view.
    if (ok && tk.openId === id) $('#ticket-body').scrollTop = $('#ticket-body').scrollHeight;
    return ok;
  }

  async function sendTicketText(kind) {
    const reply = $('#ticket-reply');
    const text = reply.value.trim();
    if (!text) {
      toast(t('ticketError.empty'));
      reply.focus();
      return;
    }
    const id = tk.openId;
    const ok = await changeTicket(kind, { text: text }, t(kind === 'note' ? 'tcomposer.noteAdded' : 'tcomposer.replySent'));
    if (ok && tk.openId === id && reply.value.trim() === text) {
      reply.value = '';
      tk.cannedPick = null;
    }
    if (tk.openId === id) reply.focus();
  }

  async function onTicketStatusClick(event) {
    const button = event.currentTarget;
    const status = button.getAttribute('data-status');
    if (status === 'closed' && Date.now() > tk.closeArmedUntil) {
      // Closing is final (a customer who writes again opens a new ticket): a second press confirms.
      tk.closeArmedUntil = Date.now() + CLOSE_CONFIRM_MS;
      renderCloseButton();
      setTimeout(renderCloseButton, CLOSE_CONFIRM_MS + 50);
      return;
    }
    tk.closeArmedUntil = 0;
    const ok = await changeTicket('status', { status: status }, t('tstatus.done', { status: ticketStatusText(status) }));
    if (ok) $('#ticket-title').focus();
  }

  async function assignTicket() {
    const detail = tk.detail;
    if (!detail) return;
    const select = $('#ticket-owner');
    const agentId = select.value ? Number(select.value) : null;
    const seen = detail.owner ? detail.owner.id : null;
    if (agentId === seen) return;
    const name = select.value ? select.options[select.selectedIndex].textContent.split(' · ')[0] : t('tickets.nobody');
    await changeTicket('assign', { agent_id: agentId, seen_owner: seen }, t('ticket.assigned', { name: name }));
  }

  // --- the customer on the right

  function renderTicketContext(detail) {
    $('#ticket-context-empty').hidden = !!detail;
    $('#ticket-context-body').hidden = !detail;
    if (!detail) return;
    const context = detail.context || {};
    renderCustomer(context.customer, !!context.unavailable, $('#tcontext-customer'));
    if (!context.customer && detail.email) {
      $('#tcontext-customer').appendChild(el('p', 'small', t('ticket.email', { email: detail.email })));
    }
    renderSegments($('#tcontext-segments'), context.segments || detail.segments);
    $('#tcontext-segments-block').hidden = !(context.segments || detail.segments || []).length;
    renderTable('#tcontext-orders', context.orders, [
      ['col.orderNo', 'order_no'], ['col.status', 'status', storeStatusText, 'wrap'], ['col.total', 'total'],
      ['col.date', 'placed_at', formatDate],
    ]);
    renderTable('#tcontext-returns', context.returns, [
      ['col.rma', 'rma_code'], ['col.orderNo', 'order_no'], ['col.status', 'status', storeStatusText, 'wrap'],
    ]);
    renderTable('#tcontext-tickets', context.earlier_tickets, [
      ['col.code', 'code'], ['col.status', 'status', ticketStatusText, 'wrap'],
      ['col.category', 'category', categoryText, 'wrap'], ['col.date', 'created_at', formatDate],
    ]);
    renderTable('#tcontext-earlier', context.earlier_conversations, [
      ['col.date', 'started_at', formatDate], ['col.reason', 'reason', reasonText],
      ['col.status', 'state', stateText, 'wrap'], ['col.rating', 'rating', formatRating],
    ]);
  }

  // --- news from the bridge, the session, the language

  /** `tickets_changed` {ticket_id, what}: the list again, and the open ticket if it is the one. */
  function onTicketsChanged(payload) {
    if (tk.section !== 'tickets') return;  // shown again: loaded then
    scheduleListReload();
    if (tk.openId && payload && Number(payload.ticket_id) === tk.openId) scheduleTicketReload();
  }

  /**
   * `ticket_alert` {kind: ticket_due_soon|ticket_breached, ticket_id, code, due}: to the owner (and,
   * for a breach, the admins). A banner under the top bar with a way to the ticket, a beep and the title.
   */
  function onTicketAlert(payload) {
    if (!payload || !payload.ticket_id || !Words.has('ticketAlert.' + payload.kind)) return;
    const banner = el('div', 'security-alert ticket-alert');
    banner.setAttribute('role', 'alert');
    banner.setAttribute('data-kind', payload.kind);
    banner.setAttribute('data-ticket-id', String(payload.ticket_id));
    banner.setAttribute('data-code', String(payload.code || ''));
    banner.setAttribute('data-due-at', String(payload.due || ''));
    banner.appendChild(el('span', 'ticket-alert-text'));
    const open = el('button', 'btn btn-small ticket-alert-open');
    open.type = 'button';
    open.addEventListener('click', function () {
      banner.remove();
      showSection('tickets');
      openTicket(Number(payload.ticket_id));
    });
    const dismiss = el('button', 'btn btn-small ticket-alert-dismiss');
    dismiss.type = 'button';
    dismiss.addEventListener('click', function () { banner.remove(); });
    banner.appendChild(open);
    banner.appendChild(dismiss);
    wordTicketAlert(banner);
    securityAlerts().prepend(banner);
    while (securityAlerts().children.length > MAX_SECURITY_ALERTS) securityAlerts().lastChild.remove();
    alertAgent(t('title.ticketAlert'));
    if (tk.section === 'tickets') scheduleListReload();
  }

  /** A ticket alert's words, again after a change of language. */
  function wordTicketAlert(banner) {
    banner.querySelector('.ticket-alert-text').textContent = t('ticketAlert.' + banner.getAttribute('data-kind'), {
      code: banner.getAttribute('data-code'), due: formatTime(banner.getAttribute('data-due-at')),
    });
    banner.querySelector('.ticket-alert-open').textContent = t('ticketAlert.open');
    banner.querySelector('.ticket-alert-dismiss').textContent = t('alert.dismiss');
  }

  function startTickets() {
    clearInterval(tk.refreshTimer);
    tk.refreshTimer = setInterval(function () {
      if (tk.section === 'tickets' && !document.hidden) loadTicketList();
    }, TICKET_REFRESH_MS);
  }

  function endTickets() {
    clearInterval(tk.refreshTimer);
    clearTimeout(tk.listTimer);
    clearTimeout(tk.ticketTimer);
    Object.assign(tk, {
      view: 'mine', category: '', q: '', rows: [], categories: [], listLoaded: false, openId: null, detail: null,
      agents: [], busy: false, closeArmedUntil: 0, cannedPick: null, drafts: {}, refreshTimer: 0, listRequest: tk.listRequest + 1,
    });
    $('#ticket-reply').value = '';
    $('#ticket-q').value = '';
    setTicketView('list');
    showSection('chats');
    renderTicketList();
    renderTicketPage();
  }

  function renderTickets() {
    renderTicketList();
    renderTicketPage();
    document.querySelectorAll('.ticket-alert').forEach(wordTicketAlert);
  }

  function bindTickets() {
    document.querySelectorAll('.section-switch [data-section]').forEach(function (button) {
      button.addEventListener('click', function () { showSection(button.getAttribute('data-section')); });
    });
    document.querySelectorAll('#ticket-views [data-view]').forEach(function (button) {
      button.addEventListener('click', function () { setTicketFilter(button.getAttribute('data-view')); });
    });
    $('#ticket-category').addEventListener('change', function (event) {
      tk.category = event.target.value;
      loadTicketList();
    });
    $('#ticket-search').addEventListener('submit', onTicketSearch);
    $('#ticket-clear-search').addEventListener('click', clearTicketSearch);
    $('#ticket-composer').addEventListener('submit', function (event) {
      event.preventDefault();
      sendTicketText('reply');
    });
    $('#ticket-note').addEventListener('click', function () { sendTicketText('note'); });
    $('#ticket-reply').addEventListener('input', function () { tk.cannedPick = null; });
    $('#ticket-canned').addEventListener('pointerdown', function () { ticketCannedByPointer = true; });
    $('#ticket-canned').addEventListener('keydown', function (event) {
      ticketCannedByPointer = false;
      if (event.key === 'Enter' && $('#ticket-canned').value) {
        event.preventDefault();
        $('#ticket-reply').focus();
      }
    });
    $('#ticket-canned').addEventListener('change', function () {
      insertTicketCanned();
      if (ticketCannedByPointer) $('#ticket-reply').focus();
    });
    ['#ticket-resolve', '#ticket-wait', '#ticket-reopen', '#ticket-close'].forEach(function (selector) {
      $(selector).addEventListener('click', onTicketStatusClick);
    });
    $('#ticket-assign').addEventListener('click', assignTicket);
    $('#ticket-back').addEventListener('click', function () { goToTicketColumn('list'); });
    $('#ticket-show-customer').addEventListener('click', function () { goToTicketColumn('customer'); });
    $('#ticket-context-back').addEventListener('click', function () { goToTicketColumn('ticket'); });
    renderTickets();
  }

  // ===================================================================== support hours

  /**
   * The banner under the top bar when it is outside support hours: shoppers who ask for a
   * person get a ticket, no chat is queued. From a desk state's `support_open` (a missing field
   * counts as open) and `support_hours` (a text, or {tr, en}); null hides it. Kept, so that a
   * change of language words it again.
   */
  function renderSupportHours(desk) {
    state.support = desk || null;
    const closed = !!desk && desk.support_open === false;
    const hours = closed ? pickLanguage(desk.support_hours, LANG) : '';
    const banner = $('#hours-banner');
    $('#hours-banner-text').textContent = closed ? t('hours.closed') : '';
    $('#hours-banner-schedule').textContent = hours ? t('hours.schedule', { hours: hours }) : '';
    banner.hidden = !closed;
  }

  // ===================================================================== language

  /** Switches the console's language (its table is loaded first), remembers it and puts every text in again. */
  async function setLanguage(language) {
    if (LANGUAGES.indexOf(language) === -1) return;
    await Words.choose(language);
    if (Words.lang() === LANG) return;
    LANG = Words.lang();
    applyStaticStrings();
    stopFlashTitle();
    if ($('#app-view').hidden) return;
    setConnection(state.connection);
    renderSupportHours(state.support);
    renderMe();
    renderQueue();
    renderChats();
    renderOffer();
    renderChatPanel();
    refreshMarkButtons();
    renderTickets();
    if ($('#transfer-dialog').open) renderTransferOptions();
  }

  // ===================================================================== the clock

  /** Once a second: waiting times in the queue and the offer's countdown. */
  function tick() {
    document.querySelectorAll('#queue .wait[data-since-ms]').forEach(function (node) {
      node.textContent = formatDuration((Date.now() - Number(node.getAttribute('data-since-ms'))) / 1000);
    });
    updateOfferCountdown();
    tickTickets();
  }

  // ===================================================================== wiring

  function bindEvents() {
    Login.bindForm({ session: session, text: t, onSuccess: startSession, roles: ['agent', 'admin'] });
    $('#logout').addEventListener('click', onLogoutClick);
    $('#availability').addEventListener('change', setAvailable);

    $('#offer .accept').addEventListener('click', acceptOffer);
    $('#offer .decline').addEventListener('click', declineOffer);

    $('#composer').addEventListener('submit', submitReply);
    $('#reply').addEventListener('keydown', onReplyKeydown);
    $('#reply').addEventListener('input', onReplyInput);
    $('#reply').addEventListener('blur', stopTyping);
    $('#note-toggle').addEventListener('change', onNoteToggle);
    $('#canned').addEventListener('pointerdown', function () { cannedByPointer = true; });
    $('#canned').addEventListener('keydown', onCannedKeydown);
    $('#canned').addEventListener('change', onCannedChange);

    $('#transfer').addEventListener('click', openTransferDialog);
    $('#transfer-form').addEventListener('submit', confirmTransfer);
    $('#transfer-cancel').addEventListener('click', function () { $('#transfer-dialog').close(); });
    $('#hand-back').addEventListener('click', handBack);
    $('#banner-accept').addEventListener('click', function (event) {
      if (state.openId) acceptChat(state.openId, event.currentTarget);
    });
    $('#close-chat').addEventListener('click', openCloseDialog);
    $('#close-form').addEventListener('submit', confirmClose);
    $('#close-cancel').addEventListener('click', function () { $('#close-dialog').close(); });

    $('#toast').addEventListener('click', hideToast);
    document.querySelectorAll('.lang-switch button[data-lang]').forEach(function (button) {
      button.addEventListener('click', function () { setLanguage(button.getAttribute('data-lang')); });
    });
    $('#chat-back').addEventListener('click', function () { goTo('list'); });
    $('#show-context').addEventListener('click', function () { goTo('context'); });
    $('#context-back').addEventListener('click', function () { goTo('chat'); });
    window.addEventListener('focus', stopFlashTitle);
    // Sound may only start after an interaction with the page.
    document.addEventListener('pointerdown', unlockAudio, true);
    document.addEventListener('keydown', unlockAudio, true);
  }

  async function init() {
    await Words.use(LANG);  // the words before anything is shown
    applyStaticStrings();
    bindEvents();
    bindKnowledgeMarks();
    bindTickets();
    if (typeof window.io !== 'function') {
      showLogin(t('login.network'));
      return;
    }
    // An expired token goes to the login form without a refused connection first.
    const resumed = Login.resume(session, startSession, function () { endSession(t('login.expired')); });
    if (!resumed) showLogin('');
  }

  init();

  // For browser tests: what a desk state with or without support hours looks like.
  window.KuzeyConsole = Object.freeze({ renderSupportHours: renderSupportHours });
})();
