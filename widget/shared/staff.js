/*
 * Kuzey Destek — the helpers the staff pages share beyond the login: the editors' studio (/editor)
 * and the admins' privacy page (/privacy) use all of it, the manager's dashboard (/manager) the
 * login's words, $, el, flash and serverWords. Served at /widget/shared/staff.js and loaded after
 * widget/shared/login.js, before the page's own script.
 *
 * No framework, no build step (ES2019): one IIFE that sets one global, window.KuzeyStaff. Every
 * text from the server goes into the page with textContent, never innerHTML.
 *
 *   KuzeyStaff.TEXTS                  {tr, en}: the words every staff page says the same way (the
 *       login form, the language toggle, the common buttons and errors); a page's own win
 *   KuzeyStaff.i18n(strings, storageKey)  the page's words ({tr, en}, on top of TEXTS) and its
 *       language, Turkish unless this browser chose English before (localStorage `storageKey`):
 *       t(key, params) the word with {placeholders} filled in (Turkish when English lacks it, else
 *       the key); word(prefix, value) the word for `prefix.value`, else the value itself; lang();
 *       locale(); apply() puts the words into the page (data-i18n, data-i18n-placeholder,
 *       data-i18n-aria-label, the title, <html lang>); toggle() switches, remembers and applies
 *   KuzeyStaff.$(selector), $$(selector, root)  the first match; all matches as an array
 *   KuzeyStaff.el(tag, className, text), button(className, text, onClick)  new elements
 *   KuzeyStaff.flash(selector, ms)    a function(message) that shows `message` in the element for `ms`
 *       (a click puts it away sooner)
 *   KuzeyStaff.setStatusText(node, text, kind)  a status line's text and its data-kind
 *   KuzeyStaff.askBeforeLeaving(unsaved)  the browser's question before leaving while unsaved() is true
 *   KuzeyStaff.serverWords(data)      the server's own words (a JSON answer's `error` text), or ''
 *   KuzeyStaff.client(state, options) fetch with the token: see there
 *   KuzeyStaff.confirmer(t, dangerClass)  the page's confirmDialog(title, text, okLabel, danger): a
 *       modal yes/no question in #confirm-dialog (made on first use), resolving true when confirmed
 */
(function () {
  'use strict';

  const Login = window.KuzeyLogin;

  const TEXTS = {
    tr: {
      'app.logout': 'Çıkış yap',
      'lang.toggle': 'English',
      'lang.tr': 'Türkçe',
      'lang.en': 'İngilizce',
      'login.username': 'Kullanıcı adı',
      'login.password': 'Şifre',
      'login.submit': 'Giriş yap',
      'login.busy': 'Giriş yapılıyor…',
      'login.missing': 'Kullanıcı adı ve şifre gerekli.',
      'login.failed': 'Giriş yapılamadı. Lütfen tekrar deneyin.',
      'login.network': 'Sunucuya ulaşılamadı. Bağlantınızı kontrol edip tekrar deneyin.',
      'login.expired': 'Oturumunuz geçersiz ya da süresi doldu. Lütfen tekrar giriş yapın.',
      'login.yourPage': 'Sizin sayfanız:',
      'login.home.agent': 'Temsilci paneli',
      'login.home.editor': 'İçerik stüdyosu',
      'login.home.admin': 'Yönetici paneli',
      'common.cancel': 'Vazgeç',
      'common.none': '—',
      'error.generic': 'İşlem yapılamadı. Lütfen tekrar deneyin.',
      'error.network': 'Sunucuya ulaşılamadı. Bağlantınızı kontrol edip tekrar deneyin.',
    },
    en: {
      'app.logout': 'Log out',
      'lang.toggle': 'Türkçe',
      'lang.tr': 'Turkish',
      'lang.en': 'English',
      'login.username': 'Username',
      'login.password': 'Password',
      'login.submit': 'Log in',
      'login.busy': 'Logging in…',
      'login.missing': 'Username and password are required.',
      'login.failed': 'Could not log in. Please try again.',
      'login.network': 'Cannot reach the server. Check your connection and try again.',
      'login.expired': 'Your session is invalid or has expired. Please log in again.',
      'login.yourPage': 'Your page:',
      'login.home.agent': 'Agent console',
      'login.home.editor': 'Content studio',
      'login.home.admin': 'Manager dashboard',
      'common.cancel': 'Cancel',
      'common.none': '—',
      'error.generic': 'That did not work. Please try again.',
      'error.network': 'Cannot reach the server. Check your connection and try again.',
    },
  };

  // ===================================================================== DOM

  function $(selector) {
    return document.querySelector(selector);
  }

  function $$(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(className, text, onClick) {
    const node = el('button', 'btn ' + (className || ''), text);
    node.type = 'button';
    if (onClick) node.addEventListener('click', onClick);
    return node;
  }

  /** A function that shows a message in the element (a toast) and hides it after `ms`, or when clicked. */
  function flash(selector, ms) {
    const node = $(selector);
    node.addEventListener('click', function () { node.hidden = true; });
    let timer = 0;
    return function (message) {
      node.textContent = message;
      node.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(function () { node.hidden = true; }, ms);
    };
  }

  function setStatusText(node, text, kind) {
    node.textContent = text || '';
    node.setAttribute('data-kind', kind || '');
  }

  /** The browser asks before the tab is closed or reloaded while `unsaved()` is true. */
  function askBeforeLeaving(unsaved) {
    window.addEventListener('beforeunload', function (event) {
      if (unsaved()) {
        event.preventDefault();
        event.returnValue = '';
      }
    });
  }

  // ===================================================================== words and language

  function i18n(strings, storageKey) {
    const tables = {
      tr: Object.assign({}, TEXTS.tr, strings.tr),
      en: Object.assign({}, TEXTS.en, strings.en),
    };
    let lang = 'tr';
    try {
      const saved = localStorage.getItem(storageKey);
      if (saved === 'tr' || saved === 'en') lang = saved;
    } catch (_) { /* no storage: Turkish */ }

    /** A UI text with {placeholders} filled in. */
    function t(key, params) {
      const table = tables[lang];
      let text = key in table ? table[key] : (key in tables.tr ? tables.tr[key] : key);
      if (params) {
        Object.keys(params).forEach(function (name) {
          text = text.split('{' + name + '}').join(String(params[name]));
        });
      }
      return text;
    }

    /** The table's word for a value the server sends (`action.export`), else the value itself. */
    function word(prefix, value) {
      const key = prefix + '.' + value;
      const text = t(key);
      return text === key ? String(value) : text;
    }

    function apply() {
      document.documentElement.lang = lang;
      document.title = t('app.title');
      $$('[data-i18n]').forEach(function (node) { node.textContent = t(node.getAttribute('data-i18n')); });
      $$('[data-i18n-placeholder]').forEach(function (node) {
        node.setAttribute('placeholder', t(node.getAttribute('data-i18n-placeholder')));
      });
      $$('[data-i18n-aria-label]').forEach(function (node) {
        node.setAttribute('aria-label', t(node.getAttribute('data-i18n-aria-label')));
      });
      $$('.lang-toggle').forEach(function (node) {
        node.setAttribute('lang', lang === 'tr' ? 'en' : 'tr');
      });
    }

    function toggle() {
      lang = lang === 'tr' ? 'en' : 'tr';
      try {
        localStorage.setItem(storageKey, lang);
      } catch (_) { /* private mode: the choice lasts for this page only */ }
      apply();
    }

    return {
      t: t,
      word: word,
      lang: function () { return lang; },
      locale: function () { return lang === 'en' ? 'en-GB' : 'tr-TR'; },
      apply: apply,
      toggle: toggle,
    };
  }

  // ===================================================================== API

  function serverWords(data) {
    return data && typeof data.error === 'string' && data.error ? data.error : '';
  }

  /**
   * Requests with the login token. `state` is the page's {token, user, epoch}: the epoch is bumped
   * on every login and logout, and an answer that comes back in another epoch is `stale` (an
   * Error with `stale: true`, never shown). `options`: text (the page's t), endSession(message,
   * wrongPageUser), and endOnForbidden: whether a 403 means the account may no longer use this
   * page (the login is ended and the user sent to their own page) rather than an ordinary error.
   *
   *   call(method, url, body)  resolves with the Response; a refused token (401) ends the session
   *   api(method, url, body)   resolves with the JSON answer; rejects with an Error whose message
   *       is the server's own words (else a general text), with `status` and the answer as `data`
   */
  function client(state, options) {
    const t = options.text;

    function stale(message, status) {
      return Object.assign(new Error(message), { status: status, stale: true });
    }

    async function call(method, url, body) {
      const epoch = state.epoch;
      const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
      const init = { method: method, headers: headers };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      let response;
      try {
        response = await fetch(url, init);
      } catch (_) {
        throw Object.assign(new Error(t('error.network')), { status: 0 });
      }
      if (epoch !== state.epoch) throw stale('', 0);
      if (response.status === 401) {
        options.endSession(t('login.expired'));
        throw stale(t('login.expired'), 401);
      }
      if (response.status === 403 && options.endOnForbidden) {
        const words = serverWords(await Login.readJson(response)) || t('login.wrongRole');
        const user = state.user;
        Login.logout(state.token);
        options.endSession(words, user);
        throw stale(words, 403);
      }
      return response;
    }

    async function api(method, url, body) {
      const epoch = state.epoch;
      const response = await call(method, url, body);
      const data = await Login.readJson(response);
      if (epoch !== state.epoch) throw stale('', 0);
      if (!response.ok) {
        throw Object.assign(new Error(serverWords(data) || t('error.generic')), { status: response.status, data: data });
      }
      return data || {};
    }

    return { call: call, api: api };
  }

  // ===================================================================== the confirm dialog

  /** The dialog, made the first time it is needed (a native <dialog>: Escape cancels). */
  function confirmBox() {
    let dialog = document.getElementById('confirm-dialog');
    if (dialog) return dialog;
    dialog = el('dialog');
    dialog.id = 'confirm-dialog';
    dialog.setAttribute('aria-labelledby', 'confirm-title');
    dialog.setAttribute('aria-describedby', 'confirm-text');
    const form = el('form');
    form.method = 'dialog';
    form.noValidate = true;
    const title = el('h2');
    title.id = 'confirm-title';
    const text = el('p');
    text.id = 'confirm-text';
    const actions = el('div', 'dialog-actions');
    [['cancel', 'btn'], ['ok', 'btn btn-primary']].forEach(function (pair) {
      const choice = el('button', pair[1]);
      choice.type = 'submit';
      choice.value = pair[0];
      choice.id = 'confirm-' + pair[0];
      actions.append(choice);
    });
    form.append(title, text, actions);
    dialog.append(form);
    document.body.append(dialog);
    return dialog;
  }

  /**
   * The page's yes/no question: confirmDialog(title, text, okLabel, danger) resolves true when it
   * is confirmed, false on Escape or t('common.cancel'). The OK button is a 'btn-primary', or
   * `dangerClass` (the page's look for what cannot be undone) when `danger`.
   */
  function confirmer(t, dangerClass) {
    return function confirmDialog(title, text, okLabel, danger) {
      return new Promise(function (resolve) {
        const dialog = confirmBox();
        $('#confirm-title').textContent = title;
        $('#confirm-text').textContent = text;
        $('#confirm-cancel').textContent = t('common.cancel');
        const ok = $('#confirm-ok');
        ok.textContent = okLabel;
        ok.className = 'btn ' + (danger ? dangerClass : 'btn-primary');
        dialog.returnValue = '';
        dialog.addEventListener('close', function () { resolve(dialog.returnValue === 'ok'); }, { once: true });
        dialog.showModal();
        $('#confirm-cancel').focus();
      });
    };
  }

  window.KuzeyStaff = {
    TEXTS: TEXTS,
    i18n: i18n,
    $: $,
    $$: $$,
    el: el,
    button: button,
    flash: flash,
    setStatusText: setStatusText,
    askBeforeLeaving: askBeforeLeaving,
    serverWords: serverWords,
    client: client,
    confirmer: confirmer,
  };
})();
