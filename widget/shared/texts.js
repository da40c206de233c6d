/*
 * Kuzey Destek — a staff page's words from the text catalogue (locale/<lang>/LC_MESSAGES/<domain>.po),
 * served by the bridge as {key: text} at GET /api/texts/<domain>?lang=<tr|en> (bot/desk/texts_web.py).
 * Used by the agent console (domain `console`), the manager's dashboard (`manager`), and through
 * widget/shared/staff.js by the editors' studio (`staff` and `editor`) and the admins' personal data
 * page (`staff` and `privacy_page`); loaded before the page's own script. No framework, no build step (ES2019): one IIFE that sets
 * one global, window.KuzeyTexts.
 *
 *   KuzeyTexts.LANGUAGES                  ['tr', 'en']
 *   KuzeyTexts.format(text, params)       the text with its {name} placeholders filled in ({{ and }}
 *       are literal braces; a placeholder without a value stays as it is)
 *   KuzeyTexts.words(domain, storageKey)  the page's words and language; `domain` may be a list of
 *       domains, whose tables are loaded together and merged (a later domain's key wins):
 *       lang()           the language in use: the one chosen before on this browser (localStorage
 *                        `storageKey`), else the browser's first language of the two, else Turkish
 *       use(lang)        a promise: loads that language's table (once; the browser revalidates it by
 *                        its ETag) and makes it the one in use. While the bridge cannot be reached
 *                        it keeps trying, a little longer each time
 *       choose(lang)     use(lang) and remember it in localStorage
 *       t(key, params)   the text of `key` with its placeholders filled in (the key itself when the
 *                        table has no such text, which tests/unit/test_console_strings.py prevents)
 *       has(key)         whether the table has that key (for families of keys built from a code)
 *
 * Browser texts have no plural forms: a count is said without a noun agreeing with it.
 */
(function () {
  'use strict';

  const LANGUAGES = ['tr', 'en'];
  const RETRY_MS = [500, 1000, 2000, 5000, 10000];

  function format(text, params) {
    return String(text).replace(/\{\{|\}\}|\{(\w+)\}/g, function (match, name) {
      if (match === '{{') return '{';
      if (match === '}}') return '}';
      return params && params[name] !== undefined && params[name] !== null ? String(params[name]) : match;
    });
  }

  function initialLanguage(storageKey) {
    let saved = null;
    try { saved = localStorage.getItem(storageKey); } catch (_) { saved = null; }
    if (LANGUAGES.indexOf(saved) !== -1) return saved;
    const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
    for (let i = 0; i < wanted.length; i += 1) {
      const code = String(wanted[i] || '').slice(0, 2).toLowerCase();
      if (LANGUAGES.indexOf(code) !== -1) return code;
    }
    return 'tr';
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  /** The table of one domain in one language; retried until the bridge answers with one. */
  async function fetchTable(domain, language) {
    const url = '/api/texts/' + encodeURIComponent(domain) + '?lang=' + encodeURIComponent(language);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await fetch(url, { headers: { Accept: 'application/json' } });
        const table = response.ok ? await response.json() : null;
        if (table && typeof table === 'object') return table;
      } catch (_) {
        // No answer (the bridge restarts, the network is down): try again below.
      }
      await wait(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    }
  }

  /** The tables of several domains in one language, merged in their order. */
  async function fetchTables(domains, language) {
    const tables = await Promise.all(domains.map(function (domain) { return fetchTable(domain, language); }));
    return Object.assign.apply(Object, [{}].concat(tables));
  }

  function words(domain, storageKey) {
    const domains = [].concat(domain);
    const tables = {};    // language -> promise of its table
    const loaded = {};    // language -> its table, once there
    let lang = initialLanguage(storageKey);
    let latest = 0;       // the last language asked for wins, whichever table arrives first

    async function use(language) {
      if (LANGUAGES.indexOf(language) === -1) return;
      const request = ++latest;
      if (!tables[language]) tables[language] = fetchTables(domains, language);
      loaded[language] = await tables[language];
      if (request === latest) lang = language;
    }

    function choose(language) {
      try { localStorage.setItem(storageKey, language); } catch (_) { /* not remembered, still switched */ }
      return use(language);
    }

    function table() {
      return loaded[lang] || {};
    }

    function has(key) {
      return Object.prototype.hasOwnProperty.call(table(), key);
    }

    function t(key, params) {
      return format(has(key) ? table()[key] : key, params);
    }

    return { lang: function () { return lang; }, use: use, choose: choose, t: t, has: has };
  }

  window.KuzeyTexts = { LANGUAGES: LANGUAGES, format: format, words: words };
})();
