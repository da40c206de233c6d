/*
 * Kuzey Destek — the login the staff pages share: the agent console (/agent), the manager's
 * dashboard (/manager), the editors' studio (/editor) and the admins' privacy page (/privacy).
 * Served at /widget/shared/login.js and loaded before the page's own script (and before
 * widget/shared/staff.js, the other helpers some of them share).
 *
 * No framework, no build step (ES2019): one IIFE that sets one global, window.KuzeyLogin.
 * It knows nothing of the pages' texts; they are handed in. Every text from the server goes
 * into the page with textContent, never innerHTML.
 *
 * The page must have these ids (all the pages do; browser tests rely on them):
 *   #login-view, #login-form, #login-username, #login-password, #login-error, #login-submit
 *   and #app-view (what is shown after logging in). A page may leave #login-view empty and have
 *   renderForm make the form; #me-name (the user's name in the top bar) is optional.
 *
 *   KuzeyLogin.login(username, password, failedText)  POST /api/login; resolves with {token, user},
 *       rejects with an Error whose `status` is the HTTP status (none when the fetch itself failed)
 *       and whose message is the server's own words, else failedText
 *   KuzeyLogin.logout(token)         POST /api/logout: the server ends the login, so the token is
 *       refused from then on; call it before forgetting the token. Never rejects
 *   KuzeyLogin.session(prefix)       the token and user in sessionStorage under `<prefix>.token` and
 *       `<prefix>.user`: save(token, user), clear(), load() -> null | {token, user, expired}
 *   KuzeyLogin.resume(session, onSaved, onExpired)  picks up the tab's saved login:
 *       onSaved(token, user), or onExpired() when its token has run out; false when there is none
 *   KuzeyLogin.tokenExpired(token)   whether the JWT's `exp` has passed
 *   KuzeyLogin.readJson(response)    the response's JSON, or null
 *   KuzeyLogin.renderForm(text, options)  makes the login form in an empty #login-view: the heading
 *       text('app.title'), text('login.intro'), the two fields, #login-error, #login-home (unless
 *       options.home is false) and the submit button, and with options.languageToggle a
 *       .lang-toggle button text('lang.toggle'). Its texts carry data-i18n keys, so a page that
 *       switches language puts its words in again
 *   KuzeyLogin.showForm(message)     hides #app-view, shows the login form with `message`
 *   KuzeyLogin.showApp(user)         hides the login form, shows #app-view with the user's name
 *   KuzeyLogin.bindForm({session, text, onSuccess, roles})  wires #login-form; text(key) gives
 *       the page's words for 'login.missing', 'login.busy', 'login.submit', 'login.failed' (no
 *       words from the server) and 'login.network' (no answer at all); after logging in, the token
 *       and user are saved in `session` and onSuccess(token, user) is called. With `roles` (the
 *       roles the page is for), a user of another role is not logged in here: showWrongPage tells
 *       them text('login.wrongRole') and where their page is.
 *   KuzeyLogin.showWrongPage(message, user, text)  the login form with `message` and, under it
 *       (#login-home, made if the page has none), text('login.yourPage') and a link to the user's
 *       own page named text('login.home.<role>'): agents /agent, editors /editor, admins /manager
 */
(function () {
  'use strict';

  function byId(id) {
    return document.getElementById(id);
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }

  /** The server's own words from an `error` field (a text, or an object with a message). */
  function serverWords(error) {
    if (typeof error === 'string') return error;
    if (error && typeof error.message === 'string') return error.message;
    return '';
  }

  async function login(username, password, failedText) {
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      // The page's language: the server words its refusal in it (it also sends a `code`).
      body: JSON.stringify({ username: username, password: password,
                             language: document.documentElement.lang === 'en' ? 'en' : 'tr' }),
    });
    const data = await readJson(response);
    if (!response.ok || !data || !data.token) {
      const message = serverWords(data && data.error) || failedText || '';
      throw Object.assign(new Error(message), { status: response.status });
    }
    return data;
  }

  /**
   * Ends the login on the server, so that a copy of the token (a shared computer, a log) is
   * worth nothing afterwards. Fire and forget: `keepalive` lets it finish while the page goes on
   * (or away), and a failure must not keep anyone logged in on the page.
   */
  function logout(token) {
    if (!token) return Promise.resolve();
    return fetch('/api/logout', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token },
      keepalive: true,
    }).then(function () {}, function () {});
  }

  /**
   * Whether the login token (a JWT) has run out, read from its `exp` claim without checking the
   * signature (the server does that): an expired token goes to the login form without a refused
   * request first. Anything unreadable is left for the server to judge.
   */
  function tokenExpired(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(part + '==='.slice((part.length + 3) % 4)));
      return typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
    } catch (_) {
      return false;
    }
  }

  /** The token and the user in sessionStorage (one tab, gone when the tab closes). */
  function session(prefix) {
    const tokenKey = prefix + '.token';
    const userKey = prefix + '.user';
    return {
      save: function (token, user) {
        sessionStorage.setItem(tokenKey, token);
        sessionStorage.setItem(userKey, JSON.stringify(user || {}));
      },
      clear: function () {
        sessionStorage.removeItem(tokenKey);
        sessionStorage.removeItem(userKey);
      },
      /** null without a token; else the token, the user (or null) and whether it has expired. */
      load: function () {
        const token = sessionStorage.getItem(tokenKey);
        if (!token) return null;
        let user = null;
        try {
          user = JSON.parse(sessionStorage.getItem(userKey) || 'null');
        } catch (_) {
          user = null;
        }
        return { token: token, user: user, expired: tokenExpired(token) };
      },
    };
  }

  function resume(session, onSaved, onExpired) {
    const saved = session.load();
    if (!saved) return false;
    if (saved.expired) onExpired();
    else onSaved(saved.token, saved.user);
    return true;
  }

  /** Back to the login form, with a message (or none); the keyboard goes where typing is due. */
  function showForm(message) {
    byId('app-view').hidden = true;
    byId('login-view').hidden = false;
    byId('login-error').textContent = message || '';
    if (byId('login-home')) byId('login-home').replaceChildren();
    const username = byId('login-username');
    (username.value ? byId('login-password') : username).focus();
  }

  /** The page after logging in, with the user's name in the top bar. */
  function showApp(user) {
    byId('login-view').hidden = true;
    byId('app-view').hidden = false;
    const name = byId('me-name');
    if (name) name.textContent = (user && (user.display_name || user.username)) || '';
  }

  /** A new element with attributes and, from `key`, a text the page can put in again (data-i18n). */
  function make(tag, attributes, text, key) {
    const node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (key) {
      node.setAttribute('data-i18n', key);
      node.textContent = text(key);
    }
    return node;
  }

  function renderForm(text, options) {
    const view = byId('login-view');
    if (view.firstElementChild) return;
    const settings = Object.assign({ home: true, languageToggle: false }, options);
    const form = make('form', { id: 'login-form', class: 'login-card', novalidate: '' });
    form.append(
      make('h1', {}, text, 'app.title'),
      make('p', { class: 'muted' }, text, 'login.intro'),
      make('label', { for: 'login-username' }, text, 'login.username'),
      make('input', {
        id: 'login-username', name: 'username', autocomplete: 'username', autocapitalize: 'none',
        spellcheck: 'false', required: '',
      }),
      make('label', { for: 'login-password' }, text, 'login.password'),
      make('input', {
        id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: '',
      }),
      make('p', { id: 'login-error', class: 'form-error', role: 'alert' }));
    if (settings.home) form.append(make('p', { id: 'login-home', class: 'login-home' }));
    form.append(make('button', { type: 'submit', id: 'login-submit', class: 'btn btn-primary' }, text, 'login.submit'));
    if (settings.languageToggle) {
      form.append(make('button', { type: 'button', class: 'btn btn-link lang-toggle' }, text, 'lang.toggle'));
    }
    view.append(form);
  }

  /** Where each role works (admins may also use /agent and /editor). */
  const HOMES = { agent: '/agent', editor: '/editor', admin: '/manager' };

  /** The login form saying this page is not for `user`, with a link to the page that is. */
  function showWrongPage(message, user, text) {
    showForm(message);
    const role = user && user.role;
    if (!Object.prototype.hasOwnProperty.call(HOMES, role)) return;
    let home = byId('login-home');
    if (!home) {
      home = document.createElement('p');
      home.id = 'login-home';
      home.className = 'login-home';
      byId('login-error').insertAdjacentElement('afterend', home);
    }
    const link = document.createElement('a');
    link.href = HOMES[role];
    link.textContent = text('login.home.' + role) + ' (' + HOMES[role] + ')';
    home.replaceChildren(text('login.yourPage') + ' ', link);
    link.focus();
  }

  function bindForm(options) {
    const text = options.text;
    byId('login-form').addEventListener('submit', async function (event) {
      event.preventDefault();
      const username = byId('login-username').value.trim();
      const password = byId('login-password').value;
      const error = byId('login-error');
      if (!username || !password) {
        error.textContent = text('login.missing');
        return;
      }
      const submit = byId('login-submit');
      submit.disabled = true;
      submit.textContent = text('login.busy');
      error.textContent = '';
      try {
        const data = await login(username, password, text('login.failed'));
        byId('login-password').value = '';
        const role = data.user && data.user.role;
        if (options.roles && options.roles.indexOf(role) < 0) {
          logout(data.token); // not kept here: the server need not keep it either
          showWrongPage(text('login.wrongRole'), data.user, text);
          return;
        }
        options.session.save(data.token, data.user);
        options.onSuccess(data.token, data.user);
      } catch (failure) {
        // A failed fetch (server down) has no status; a 401 carries the server's own words.
        error.textContent = failure.status ? failure.message : text('login.network');
        byId('login-password').select();
      } finally {
        submit.disabled = false;
        submit.textContent = text('login.submit');
      }
    });
  }

  window.KuzeyLogin = {
    login: login,
    logout: logout,
    session: session,
    resume: resume,
    tokenExpired: tokenExpired,
    readJson: readJson,
    renderForm: renderForm,
    showForm: showForm,
    showApp: showApp,
    showWrongPage: showWrongPage,
    bindForm: bindForm,
  };
})();
