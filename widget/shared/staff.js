/*
 * Kuzey Destek — the helpers the staff pages share beyond the login: the editors' studio (/editor)
 * and the admins' privacy page (/privacy) use all of it, the manager's dashboard (/manager) $, el,
 * flash and serverWords. Served at /widget/shared/staff.js and loaded after widget/shared/login.js,
 * before the page's own script; i18n needs widget/shared/texts.js too.
 *
 * No framework, no build step (ES2019): one IIFE that sets one global, window.KuzeyStaff. Every
 * text from the server goes into the page with textContent, never innerHTML.
 *
 *   KuzeyStaff.i18n(domain, storageKey)  the page's words from the text catalogue: the domain every
 *       staff page shares, `staff` (the login form, the language toggle, the common buttons and
 *       errors), and the page's own `domain` (`editor`, `privacy_page`), served by
 *       bot/desk/texts_web.py and loaded by widget/shared/texts.js. The language is the one this
 *       browser chose before (localStorage `storageKey`), else the browser's own, else Turkish:
 *       ready() a promise of the words (await it before showing anything); t(key, params) the word
 *       with {placeholders} filled in (the key when there is none); word(prefix, value) the word
 *       for `prefix + value` ('action.' + code), else the value itself; lang(); locale(); apply()
 *       puts the words into the page (data-i18n, data-i18n-placeholder, data-i18n-aria-label, the
 *       title, <html lang>); toggle() a promise: loads the other language, remembers and applies it
 *   KuzeyStaff.$(selector), $$(selector, root)  the first match; all matches as an array
 *   KuzeyStaff.el(tag, className, text), button(className, text, onClick)  new elements
 *   KuzeyStaff.flash(selector, ms)    a function(message) that shows `message` in the element for `ms`
 *       (a click puts it away sooner)
 *   KuzeyStaff.setStatusText(node, text, kind)  a status line's text and its data-kind
 *   KuzeyStaff.askBeforeLeaving(unsaved)  the browser's question before leaving while unsaved() is true
 *   KuzeyStaff.serverWords(data)      the server's own words (a JSON answer's `error` text), or ''
 *   KuzeyStaff.client(state, options) fetch with the token (and the page's language): see there
 *   KuzeyStaff.confirmer(t, dangerClass)  the page's confirmDialog(title, text, okLabel, danger): a
 *       modal yes/no question in #confirm-dialog (made on first use), resolving true when confirmed
 */
(function () {
  'use strict';

  const Login = window.KuzeyLogin;

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

  /**
   * The page's words from the text catalogue: the domain the staff pages share (`staff`) and the
   * page's own (`domain`), loaded by widget/shared/texts.js in the page's language.
   */
  function i18n(domain, storageKey) {
    const Words = window.KuzeyTexts.words(['staff', domain], storageKey);

    /** A UI text with {placeholders} filled in (the key itself when the catalogue has no such text). */
    const t = Words.t;

    /** The catalogue's word for a value the server sends (`action.` + 'export'), else the value itself. */
    function word(prefix, value) {
      return Words.has(prefix + value) ? t(prefix + value) : String(value);
    }

    function apply() {
      const lang = Words.lang();
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

    /** The words of the language in use, before the page shows anything. */
    function ready() {
      return Words.use(Words.lang());
    }

    /** Switches to the other language once its words are here, remembers it and applies it. */
    async function toggle() {
      await Words.choose(Words.lang() === 'tr' ? 'en' : 'tr');
      apply();
    }

    return {
      t: t,
      word: word,
      lang: Words.lang,
      locale: function () { return Words.lang() === 'en' ? 'en-GB' : 'tr-TR'; },
      apply: apply,
      ready: ready,
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
   * wrongPageUser), endOnForbidden: whether a 403 means the account may no longer use this
   * page (the login is ended and the user sent to their own page) rather than an ordinary error,
   * and language: a function giving the page's language, sent as `lang` in every request's query
   * so that the server words its answers in it.
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

    /** The URL with the page's language in its query (when the page gives one). */
    function withLanguage(url) {
      if (!options.language) return url;
      return url + (url.indexOf('?') < 0 ? '?' : '&') + 'lang=' + encodeURIComponent(options.language());
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
        response = await fetch(withLanguage(url), init);
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
