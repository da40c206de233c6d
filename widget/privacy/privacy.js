/*
 * Kuzey Destek — the admins' personal data page (/privacy, "personal data", KVKK): data subject
 * requests with their 30-day deadline (open, preview what we hold, answer with an export or an
 * erasure, or refuse), the audit log (read-only, CSV), the retention periods with the destruction
 * records, and the privacy notice shoppers see.
 *
 * One page, no framework, no build step (ES2019), like the other staff pages. Logs in with the
 * shared widget/shared/login.js (admins only), then uses the bridge's JSON API under /api/privacy
 * (bot/privacy/web.py, bot/privacy/shopper_web.py) with the token. The words every staff page
 * shares, the language toggle, the token's requests, the toasts and the confirm dialog:
 * widget/shared/staff.js.
 *
 * Rules kept throughout:
 *  - every text from the server (identifiers, notes, reasons, messages) goes into the page with
 *    textContent or a form field's value, never innerHTML;
 *  - every UI text comes from the text catalogue (domains `staff` and `privacy_page`), Turkish and
 *    English (the page starts in the language chosen before in this browser, else the browser's own;
 *    the toggle in the top bar switches). The server's messages come in the page's language;
 *  - an error is shown next to the form that caused it;
 *  - the export files are built in the browser (Blob) from the answer; nothing is kept here.
 */
(function () {
  'use strict';

  // ===================================================================== UI texts

  // Every UI text is in the text catalogue: the words the staff pages share, domain `staff`, and this
  // page's own, domain `privacy_page` (locale/<lang>/LC_MESSAGES/staff.po, privacy_page.po), which the
  // page loads for its language before showing anything (widget/shared/staff.js i18n, served by
  // bot/desk/texts_web.py). Families of words are keys with a prefix and the server's code: kind.,
  // status., idkind., count., action., role., trigger., method., retention.period. (word(prefix, code)).
  // The server words its own answers (refusals, the outcome of an answer) in the page's language: every
  // request carries it as `lang` (Staff.client).

  const DAY_MS = 24 * 60 * 60 * 1000;
  const TOAST_MS = 8000;
  const NOTICE_MS = 6000;
  const NOTICE_LANGS = ['tr', 'en'];
  const NOTICE_PARTS = ['short', 'full'];
  // The order the preview's counts are listed in (anything else the server adds comes after).
  const COUNT_ORDER = ['customer', 'conversations', 'messages', 'complaints', 'ratings', 'consents', 'email_sends',
    'email_optouts', 'assistant_memory', 'access_log', 'kept_orders'];

  // The login, the token in sessionStorage and its expiry: widget/shared/login.js.
  const Login = window.KuzeyLogin;
  const session = Login.session('kuzey.privacy');
  const readJson = Login.readJson;
  // The words, the language (remembered in this browser) and the DOM helpers: widget/shared/staff.js.
  const Staff = window.KuzeyStaff;
  const { $, $$, el, button, setStatusText, serverWords } = Staff;
  const i18n = Staff.i18n('privacy_page', 'kuzey.privacy.lang');
  const { t, word, locale } = i18n;
  const toast = Staff.flash('#toast', TOAST_MS);    // errors that belong to no form (role=alert)
  const notice = Staff.flash('#notice', NOTICE_MS); // successes
  // Resolves true when the admin confirms (a native <dialog>: Escape cancels).
  const confirmDialog = Staff.confirmer(t, 'btn-danger-solid');

  const state = {
    token: null,
    user: null,
    epoch: 0,                 // bumped on every login/logout: late answers of an old session are dropped
    view: 'requests',
    requests: null,           // GET /api/privacy/requests
    clockOffset: 0,           // the server's clock minus this browser's (for the days left)
    panels: {},               // request id -> 'answer' | 'refuse': the open panel of a card
    previews: {},             // request id -> the preview, or {error}
    result: null,             // {kind: 'access'|'erasure', request, destroyed}
    blobUrls: [],             // the download links of the last export (revoked when replaced)
    audit: null,              // {entries, customer}
    auditCustomer: '',
    retention: null,
    notice: null,             // {content, revision, updated_by, updated_at} as the server last sent it; false: no API
    noticeSavedKey: '',
    noticeConflict: null,     // the 409's `conflict` ({theirs, revision, by, at}) while it is being resolved
    eraseFor: null,           // the request the erase dialog is open for
  };

  // ===================================================================== helpers

  /** An ISO UTC time in the browser's own time zone (Istanbul for the team), in the page's language. */
  function when(iso) {
    if (!iso) return t('common.none');
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    return new Intl.DateTimeFormat(locale(), {
      day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
    }).format(date);
  }

  function day(iso) {
    if (!iso) return t('common.none');
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric' }).format(date);
  }

  function number(value) {
    return new Intl.NumberFormat(locale()).format(Number(value) || 0);
  }

  /** Shows a failure in `node` (next to the form that caused it) unless its session is over. */
  function report(error, node) {
    if (error && error.stale) return;
    const message = (error && error.message) || t('error.generic');
    if (node) node.textContent = message;
    else toast(message);
  }

  /** A button that says it is busy while `work` runs. */
  async function busy(node, busyText, work) {
    const label = node.textContent;
    node.disabled = true;
    node.textContent = busyText;
    node.setAttribute('aria-busy', 'true');
    try {
      return await work();
    } finally {
      node.disabled = false;
      node.textContent = label;
      node.removeAttribute('aria-busy');
    }
  }

  /** A phone number as it is stored (the last ten digits), written the Turkish way. */
  function phoneText(digits) {
    const d = String(digits || '');
    if (!/^\d{10}$/.test(d)) return d;
    return '0' + d.slice(0, 3) + ' ' + d.slice(3, 6) + ' ' + d.slice(6, 8) + ' ' + d.slice(8);
  }

  function erased(request) {
    return request.identifier === '[silindi]';
  }

  function identifierText(request) {
    if (erased(request)) return t('request.erased');
    return request.identifier_kind === 'phone' ? phoneText(request.identifier) : String(request.identifier);
  }

  /** Whether what was typed names the same person as the request's identifier. */
  function sameIdentifier(request, typed) {
    const value = String(typed || '').trim();
    if (!value) return false;
    if (request.identifier_kind === 'phone') return value.replace(/\D/g, '').slice(-10) === request.identifier;
    if (request.identifier_kind === 'email') return value.toLowerCase() === String(request.identifier).toLowerCase();
    return value === String(request.identifier);
  }

  // ===================================================================== API

  // Requests with the token: a refused token (401) ends the session, and so does a 403 (the account
  // is no longer an admin), which sends the user to their own page (widget/shared/staff.js).
  const { call, api } = Staff.client(state, {
    text: t, endSession: endSession, endOnForbidden: true, language: i18n.lang,
  });

  /** Offers `blob` as a download named `name` (the browser saves it; nothing leaves the page). */
  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = el('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  // ===================================================================== language

  async function toggleLanguage() {
    await i18n.toggle();
    renderIdentifierField();
    if (!state.token) return;
    if (state.requests) renderRequests();
    if (state.result) renderResult();
    if (state.audit) renderAudit();
    if (state.retention) renderRetention();
    if (state.notice) renderNoticeMeta();
  }

  // ===================================================================== views

  async function showView(view) {
    if (view !== state.view && state.view === 'notice' && isNoticeDirty()
      && !(await confirmDialog(t('notice.discardTitle'), t('notice.discardText'), t('notice.discardOk'), true))) return;
    if (view !== state.view && state.view === 'notice' && state.notice) fillNotice(state.notice.content);
    state.view = view;
    $$('.tab[data-view]').forEach(function (tab) {
      if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    });
    $$('.view').forEach(function (section) { section.hidden = section.id !== 'view-' + view; });
    if (view === 'requests') loadRequests();
    else if (view === 'audit') loadAudit();
    else if (view === 'retention') loadRetention();
    else if (view === 'notice') loadNotice();
  }

  // ===================================================================== requests

  async function loadRequests() {
    const epoch = state.epoch;
    try {
      const data = await api('GET', '/api/privacy/requests');
      if (epoch !== state.epoch) return;
      const serverNow = Date.parse(data.now);
      state.clockOffset = isNaN(serverNow) ? 0 : serverNow - Date.now();
      state.requests = data.requests || [];
      $('#requests-error').textContent = '';
      renderRequests();
    } catch (error) {
      report(error, $('#requests-error'));
    }
  }

  function openRequests() {
    return (state.requests || []).filter(function (r) { return r.status === 'open'; });
  }

  /**
   * The deadline in words and whether it has passed. Days left are rounded up (a request received
   * now has "30 days left", its last day "1 day left"); days late are whole days past the deadline.
   */
  function deadline(request) {
    const now = Date.now() + state.clockOffset;
    const due = Date.parse(request.due_at);
    if (request.overdue || due <= now) {
      return { overdue: true, text: t('deadline.overdue', { n: Math.max(1, Math.floor((now - due) / DAY_MS)) }) };
    }
    const left = Math.ceil((due - now) / DAY_MS);
    return { overdue: false, soon: left <= 7, text: t('deadline.left', { n: left }) };
  }

  /** Keeps what is typed in the open cards across a re-render (language, reload). */
  function typedInCards() {
    const typed = {};
    $$('#open-list textarea, #open-list input').forEach(function (node) {
      if (node.id) typed[node.id] = node.value;
    });
    return typed;
  }

  function renderRequests() {
    const typed = typedInCards();
    const focused = document.activeElement && document.activeElement.id;
    const open = openRequests();
    const answered = (state.requests || []).filter(function (r) { return r.status !== 'open'; });
    const late = open.filter(function (r) { return deadline(r).overdue; }).length;

    const summary = $('#open-summary');
    summary.textContent = open.length ? t(late ? 'open.summaryOverdue' : 'open.summary', { n: open.length, late: late })
      : t('open.none');
    summary.classList.toggle('overdue', late > 0);
    const count = $('#requests-tab-count');
    count.hidden = !open.length;
    count.textContent = String(open.length);
    count.classList.toggle('late', late > 0);

    $('#open-list').replaceChildren.apply($('#open-list'), open.map(openCard));
    $('#answered-list').replaceChildren.apply($('#answered-list'), answered.map(answeredItem));
    $('#answered-empty').hidden = answered.length > 0;

    Object.keys(typed).forEach(function (id) {
      const node = document.getElementById(id);
      if (node) node.value = typed[id];
    });
    if (focused && document.getElementById(focused) && $('#open-list').contains(document.getElementById(focused))) {
      document.getElementById(focused).focus();
    }
  }

  function fact(list, label, value, className) {
    if (value === null || value === undefined || value === '') return;
    const dt = el('dt', null, label);
    const dd = el('dd', className || null, value);
    list.append(dt, dd);
  }

  function openCard(request) {
    const item = el('li', 'request');
    item.dataset.id = String(request.id);
    item.dataset.kind = request.kind;
    const due = deadline(request);
    if (due.overdue) item.classList.add('is-overdue');

    const head = el('div', 'request-head');
    const title = el('h3', 'request-title');
    title.id = 'request-title-' + request.id;
    title.append(el('span', 'badge badge-' + request.kind, word('kind.', request.kind)), ' ',
      el('span', null, t('request.number', { id: request.id })));
    const deadlineText = el('p', 'deadline' + (due.overdue ? ' overdue' : due.soon ? ' soon' : ''), due.text);
    head.append(title, deadlineText);
    item.setAttribute('aria-labelledby', title.id);

    const facts = el('dl', 'facts');
    fact(facts, t('request.identifier'), word('idkind.', request.identifier_kind) + ': ' + identifierText(request), 'identifier');
    if (request.customer_id !== null && request.customer_id !== undefined) fact(facts, t('request.customer'), request.customer_id);
    fact(facts, t('request.received'), when(request.received_at), 'received');
    fact(facts, t('request.due'), day(request.due_at), 'due' + (due.overdue ? ' overdue' : ''));
    fact(facts, t('request.note'), request.note, 'note');

    const panelId = 'request-panel-' + request.id;
    const actions = el('div', 'actions');
    const review = button('btn-primary review', t('request.review'), function () { togglePanel(request, 'answer'); });
    const refuse = button('refuse-open', t('request.refuse'), function () { togglePanel(request, 'refuse'); });
    review.id = 'review-' + request.id;  // ids keep the focus where it was across a re-render
    refuse.id = 'refuse-open-' + request.id;
    review.setAttribute('aria-controls', panelId);
    refuse.setAttribute('aria-controls', panelId);
    const openPanel = state.panels[request.id];
    review.setAttribute('aria-expanded', String(openPanel === 'answer'));
    refuse.setAttribute('aria-expanded', String(openPanel === 'refuse'));
    actions.append(review, refuse);

    const panel = el('div', 'request-panel');
    panel.id = panelId;
    panel.hidden = !openPanel;
    if (openPanel === 'answer') panel.append.apply(panel, answerPanel(request));
    if (openPanel === 'refuse') panel.append(refusePanel(request));

    item.append(head, facts, actions, panel);
    return item;
  }

  function togglePanel(request, which) {
    const id = request.id;
    state.panels[id] = state.panels[id] === which ? null : which;
    if (state.panels[id] === 'answer' && !state.previews[id]) loadPreview(request);
    renderRequests();
    const card = $('#open-list .request[data-id="' + id + '"]');
    if (!card) return;
    const target = state.panels[id] === 'refuse' ? card.querySelector('textarea')
      : state.panels[id] === 'answer' ? card.querySelector('.preview-title') : card.querySelector(which === 'refuse' ? '.refuse-open' : '.review');
    if (target) target.focus();
  }

  async function loadPreview(request) {
    const epoch = state.epoch;
    state.previews[request.id] = { loading: true };
    try {
      const data = await api('GET', '/api/privacy/requests/' + request.id + '/preview');
      if (epoch !== state.epoch) return;
      state.previews[request.id] = data;
    } catch (error) {
      if (error.stale) return;
      state.previews[request.id] = { error: error.message };
    }
    if (state.panels[request.id] === 'answer') {
      renderRequests();
    }
  }

  function previewBlock(request) {
    const box = el('section', 'preview');
    box.setAttribute('aria-live', 'polite');
    const heading = el('h4', 'preview-title', t('preview.title'));
    heading.id = 'preview-title-' + request.id;
    heading.tabIndex = -1;
    box.append(heading);
    const preview = state.previews[request.id];
    if (!preview || preview.loading) {
      box.append(el('p', 'muted', t('preview.loading')));
      box.setAttribute('aria-busy', 'true');
      return box;
    }
    if (preview.error) {
      box.append(el('p', 'form-error preview-error', preview.error));
      return box;
    }
    const counts = preview.counts || {};
    let intro;
    if (!preview.found) intro = t('preview.notFound');
    else if (preview.customer_id !== null && preview.customer_id !== undefined) intro = t('preview.found', { id: preview.customer_id });
    else intro = t('preview.foundNoCustomer');
    box.append(el('p', 'preview-intro' + (preview.found ? '' : ' not-found'), intro));
    const keys = COUNT_ORDER.filter(function (key) { return key in counts; })
      .concat(Object.keys(counts).filter(function (key) { return COUNT_ORDER.indexOf(key) < 0; }));
    const list = el('dl', 'counts');
    keys.forEach(function (key) {
      const row = el('div', 'count-row' + (Number(counts[key]) ? '' : ' zero'));
      row.dataset.key = key;
      row.append(el('dt', null, word('count.', key)), el('dd', null, number(counts[key])));
      list.append(row);
    });
    box.append(list);
    return box;
  }

  function answerPanel(request) {
    const parts = [previewBlock(request)];
    const form = el('form', 'answer-form stack-form');
    form.noValidate = true;
    const reasonId = 'answer-reason-' + request.id;
    const errorId = 'answer-error-' + request.id;
    form.append(el('p', 'answer-help' + (request.kind === 'erasure' ? ' warn' : ''),
      t(request.kind === 'erasure' ? 'answer.erasureHelp' : 'answer.accessHelp')));
    const label = el('label', null, t('answer.reason'));
    label.htmlFor = reasonId;
    const reason = el('textarea');
    reason.id = reasonId;
    reason.rows = 2;
    reason.maxLength = 2000;
    const error = el('p', 'form-error answer-error');
    error.id = errorId;
    error.setAttribute('role', 'alert');
    reason.setAttribute('aria-describedby', errorId);
    const submit = el('button', 'btn ' + (request.kind === 'erasure' ? 'btn-danger erase-open' : 'btn-primary answer-submit'),
      t(request.kind === 'erasure' ? 'answer.erasure' : 'answer.access'));
    submit.type = 'submit';
    submit.id = 'answer-submit-' + request.id;
    form.append(label, reason, error, submit);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      error.textContent = '';
      if (request.kind === 'erasure') openErase(request, reason.value, submit);
      else answerAccess(request, reason.value, submit, error);
    });
    parts.push(form);
    return parts;
  }

  function refusePanel(request) {
    const form = el('form', 'refuse-form stack-form');
    form.noValidate = true;
    const reasonId = 'refuse-reason-' + request.id;
    const errorId = 'refuse-error-' + request.id;
    const label = el('label', null, t('refuse.label'));
    label.htmlFor = reasonId;
    const reason = el('textarea');
    reason.id = reasonId;
    reason.rows = 3;
    reason.maxLength = 2000;
    reason.required = true;
    reason.setAttribute('aria-describedby', errorId);
    const error = el('p', 'form-error refuse-error');
    error.id = errorId;
    error.setAttribute('role', 'alert');
    const submit = el('button', 'btn btn-danger refuse-submit', t('refuse.submit'));
    submit.type = 'submit';
    submit.id = 'refuse-submit-' + request.id;
    form.append(label, reason, error, submit);
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      error.textContent = '';
      try {
        // The server checks the reason too; its words are shown here.
        await busy(submit, t('refuse.busy'), function () {
          return api('POST', '/api/privacy/requests/' + request.id + '/refuse', { reason: reason.value });
        });
      } catch (failure) {
        report(failure, error);
        reason.focus();
        return;
      }
      delete state.panels[request.id];
      notice(t('refuse.done', { id: request.id }));
      await loadRequests();
      $('#open-title').focus();
    });
    return form;
  }

  async function answerAccess(request, reason, submit, error) {
    let data;
    try {
      data = await busy(submit, t('answer.busy'), function () {
        return api('POST', '/api/privacy/requests/' + request.id + '/answer', { reason: reason });
      });
    } catch (failure) {
      report(failure, error);
      return;
    }
    delete state.panels[request.id];
    delete state.previews[request.id];
    showResult({ kind: 'access', request: data.request || request, exported: data.document, html: data.html });
    await loadRequests();
  }

  // ===================================================================== erasure

  function openErase(request, reason) {
    state.eraseFor = { request: request, reason: reason };
    const who = word('idkind.', request.identifier_kind) + ' ' + identifierText(request);
    $('#erase-text').textContent = t('erase.text', { id: request.id, who: who });
    $('#erase-confirm-label').textContent = t('erase.confirm.' + request.identifier_kind, { value: identifierText(request) });
    $('#erase-confirm').value = '';
    $('#erase-error').textContent = '';
    $('#erase-submit').disabled = true;
    $('#erase-dialog').showModal();
    $('#erase-confirm').focus();
  }

  function onEraseInput() {
    const target = state.eraseFor;
    $('#erase-submit').disabled = !(target && sameIdentifier(target.request, $('#erase-confirm').value));
    $('#erase-error').textContent = '';
  }

  async function submitErase(event) {
    event.preventDefault();
    const target = state.eraseFor;
    if (!target) return;
    if (!sameIdentifier(target.request, $('#erase-confirm').value)) {
      $('#erase-error').textContent = t('erase.mismatch');
      $('#erase-confirm').focus();
      return;
    }
    const request = target.request;
    let data;
    try {
      data = await busy($('#erase-submit'), t('erase.busy'), function () {
        return api('POST', '/api/privacy/requests/' + request.id + '/answer', { reason: target.reason });
      });
    } catch (failure) {
      report(failure, $('#erase-error'));
      return;
    }
    state.eraseFor = null;
    $('#erase-dialog').close();
    delete state.panels[request.id];
    delete state.previews[request.id];
    showResult({ kind: 'erasure', request: data.request || request, destroyed: data.destroyed || {} });
    await loadRequests();
  }

  // ===================================================================== the answer's result

  function revokeDownloads() {
    state.blobUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    state.blobUrls = [];
  }

  function showResult(result) {
    revokeDownloads();
    if (result.kind === 'access') {
      const id = result.request.id;
      const json = new Blob([JSON.stringify(result.exported, null, 2)], { type: 'application/json' });
      const html = new Blob([result.html || ''], { type: 'text/html;charset=utf-8' });
      result.files = [
        { key: 'result.json', name: 'kisisel-veriler-' + id + '.json', url: URL.createObjectURL(json) },
        { key: 'result.html', name: 'kisisel-veriler-' + id + '.html', url: URL.createObjectURL(html) },
      ];
      state.blobUrls = result.files.map(function (file) { return file.url; });
      result.exported = null;  // the page keeps only the files
      result.html = null;
    }
    state.result = result;
    renderResult();
    const box = $('#answer-result');
    box.scrollIntoView({ block: 'start' });
    box.focus();
  }

  function renderResult() {
    const result = state.result;
    const box = $('#answer-result');
    if (!result) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.dataset.kind = result.kind;
    const body = $('#answer-result-body');
    const id = result.request.id;
    if (result.kind === 'access') {
      $('#answer-result-title').textContent = t('result.access', { id: id });
      const links = el('div', 'downloads');
      result.files.forEach(function (file) {
        const link = el('a', 'btn btn-primary download', t(file.key, { id: id }));
        link.href = file.url;
        link.download = file.name;
        links.append(link);
      });
      body.replaceChildren(el('p', null, t('result.accessHelp')), links);
      return;
    }
    $('#answer-result-title').textContent = t('result.erasure', { id: id });
    const keys = Object.keys(result.destroyed || {}).sort();
    const parts = [];
    if (!keys.length) {
      parts.push(el('p', null, t('result.nothing')));
    } else {
      parts.push(el('p', null, t('result.destroyed')));
      const list = el('dl', 'counts destroyed');
      keys.forEach(function (key) {
        const row = el('div', 'count-row');
        row.dataset.key = key;
        row.append(el('dt', null, word('count.', key)), el('dd', null, number(result.destroyed[key])));
        list.append(row);
      });
      parts.push(list);
    }
    parts.push(el('p', 'muted', t('erase.kept')));
    body.replaceChildren.apply(body, parts);
  }

  function closeResult() {
    revokeDownloads();
    state.result = null;
    renderResult();
    $('#open-title').focus();
  }

  function answeredItem(request) {
    const item = el('li', 'request answered');
    item.dataset.id = String(request.id);
    item.dataset.status = request.status;
    const head = el('div', 'request-head');
    const title = el('h3', 'request-title');
    title.append(el('span', 'badge badge-' + request.kind, word('kind.', request.kind)), ' ',
      el('span', null, t('request.number', { id: request.id })));
    head.append(title, el('span', 'badge badge-status-' + request.status, word('status.', request.status)));
    const facts = el('dl', 'facts');
    fact(facts, t('request.identifier'), word('idkind.', request.identifier_kind) + ': ' + identifierText(request), 'identifier');
    if (request.customer_id !== null && request.customer_id !== undefined) fact(facts, t('request.customer'), request.customer_id);
    fact(facts, t('request.received'), when(request.received_at), 'received');
    fact(facts, t('request.answered'), when(request.answered_at), 'answered-at');
    fact(facts, t('request.answeredBy'), request.answered_by);
    fact(facts, t(request.status === 'refused' ? 'request.reason' : 'request.outcome'), request.outcome, 'outcome');
    fact(facts, t('request.note'), request.note, 'note');
    item.append(head, facts);
    return item;
  }

  // ===================================================================== new request

  function identifierKind() {
    const checked = $('input[name="identifier_kind"]:checked');
    return checked ? checked.value : 'email';
  }

  function renderIdentifierField() {
    const kind = identifierKind();
    $('#new-identifier-label').textContent = t('idlabel.' + kind);
    $('#new-identifier-hint').textContent = t('idhint.' + kind);
    const input = $('#new-identifier');
    input.type = kind === 'email' ? 'email' : kind === 'phone' ? 'tel' : 'text';
    input.inputMode = kind === 'customer' ? 'numeric' : kind === 'phone' ? 'tel' : 'email';
    input.autocomplete = 'off';
  }

  async function submitNewRequest(event) {
    event.preventDefault();
    const error = $('#new-request-error');
    error.textContent = '';
    const kindInput = $('input[name="kind"]:checked');
    const idKind = identifierKind();
    const identifier = $('#new-identifier').value.trim();
    if (!identifier) {
      error.textContent = t('new.missing.' + idKind);
      $('#new-identifier').focus();
      return;
    }
    let created;
    try {
      created = await busy($('#new-request-submit'), t('new.busy'), function () {
        return api('POST', '/api/privacy/requests', {
          kind: kindInput ? kindInput.value : 'access', identifier_kind: idKind, identifier: identifier,
          note: $('#new-note').value,
        });
      });
    } catch (failure) {
      report(failure, error);
      $('#new-identifier').focus();
      return;
    }
    $('#new-identifier').value = '';
    $('#new-note').value = '';
    notice(t('new.saved', { id: created.id, due: day(created.due_at) }));
    await loadRequests();
    const card = $('#open-list .request[data-id="' + created.id + '"]');
    if (card) {
      card.scrollIntoView({ block: 'nearest' });
      card.querySelector('.review').focus();
    }
  }

  // ===================================================================== audit log

  async function loadAudit() {
    const epoch = state.epoch;
    const customer = $('#audit-customer').value.trim();
    const error = $('#audit-error');
    error.textContent = '';
    const url = '/api/privacy/audit' + (customer ? '?customer_id=' + encodeURIComponent(customer) : '');
    try {
      const data = await api('GET', url);
      if (epoch !== state.epoch) return;
      state.audit = { entries: data.entries || [], customer: customer };
      renderAudit();
    } catch (failure) {
      report(failure, error);
    }
  }

  function subjectText(subject) {
    if (!subject) return t('common.none');
    const match = /^request:(\d+)$/.exec(subject);
    if (match) return t('subject.request', { id: match[1] });
    if (subject === 'csv') return t('subject.csv');
    return subject;
  }

  function renderAudit() {
    const audit = state.audit;
    const rows = audit.entries.map(function (entry) {
      const row = el('tr');
      row.dataset.action = entry.action;
      const who = el('td');
      who.append(el('span', 'actor', entry.actor === 'system' ? t('actor.system') : entry.actor));
      if (entry.role) who.append(' ', el('span', 'muted small', '(' + word('role.', entry.role) + ')'));
      row.append(el('td', 'nowrap', when(entry.at)), who, el('td', 'action', word('action.', entry.action)),
        el('td', 'num', entry.customer_id === null || entry.customer_id === undefined ? t('common.none') : entry.customer_id),
        el('td', null, subjectText(entry.subject)), el('td', 'reason', entry.reason || t('common.none')),
        el('td', 'muted small', entry.address || t('common.none')));
      return row;
    });
    if (!rows.length) {
      const row = el('tr');
      const cell = el('td', 'muted', t('audit.none'));
      cell.colSpan = 7;
      row.append(cell);
      rows.push(row);
    }
    $('#audit-rows').replaceChildren.apply($('#audit-rows'), rows);
    $('#audit-count').textContent = audit.customer
      ? t('audit.countCustomer', { n: audit.entries.length, customer: audit.customer })
      : t('audit.count', { n: audit.entries.length });
  }

  async function downloadAudit() {
    const error = $('#audit-error');
    error.textContent = '';
    const customer = $('#audit-customer').value.trim();
    const params = new URLSearchParams({ format: 'csv' });
    if (customer) params.set('customer_id', customer);
    try {
      await busy($('#audit-csv'), t('audit.csvBusy'), async function () {
        const response = await call('GET', '/api/privacy/audit?' + params.toString());
        if (!response.ok) {
          const data = await readJson(response);
          throw new Error(serverWords(data) || t('error.generic'));
        }
        const blob = await response.blob();
        const disposition = response.headers.get('Content-Disposition') || '';
        const named = /filename="?([^";]+)"?/.exec(disposition);
        let name = named ? named[1] : 'denetim-kaydi.csv';
        if (customer) name = name.replace(/\.csv$/, '') + '-musteri-' + customer + '.csv';
        saveBlob(blob, name);
      });
    } catch (failure) {
      report(failure, error);
      return;
    }
    notice(t('audit.csvDone'));
    loadAudit();  // the export itself is in the log now
  }

  // ===================================================================== retention

  async function loadRetention() {
    const epoch = state.epoch;
    try {
      const data = await api('GET', '/api/privacy/retention');
      if (epoch !== state.epoch) return;
      state.retention = data;
      $('#retention-error').textContent = '';
      renderRetention();
    } catch (failure) {
      report(failure, $('#retention-error'));
    }
  }

  function countsText(counts) {
    const keys = Object.keys(counts || {}).sort();
    return keys.map(function (key) { return word('count.', key) + ': ' + number(counts[key]); }).join(', ');
  }

  function renderRetention() {
    const data = state.retention;
    const periods = data.periods || {};
    const list = $('#retention-periods');
    list.replaceChildren();
    Object.keys(periods).forEach(function (key) {
      const days = Number(periods[key]);
      const years = days / 365;
      const value = days >= 365 && Math.abs(years - Math.round(years)) < 0.05
        ? t('retention.daysYears', { n: number(days), years: number(Math.round(years)) })
        : t('retention.days', { n: number(days) });
      const row = el('div', 'period');
      row.dataset.key = key;
      row.append(el('dt', null, word('retention.period.', key)), el('dd', null, value));
      list.append(row);
    });
    const records = data.records || [];
    $('#retention-empty').hidden = records.length > 0;
    $('#retention-table').hidden = !records.length;
    $('#retention-rows').replaceChildren.apply($('#retention-rows'), records.map(function (record) {
      const row = el('tr');
      row.dataset.trigger = record.trigger;
      if (record.request_id !== null && record.request_id !== undefined) row.dataset.request = String(record.request_id);
      const trigger = record.trigger === 'request' ? t('trigger.request', { id: record.request_id })
        : word('trigger.', record.trigger);
      row.append(el('td', 'nowrap', when(record.at)), el('td', null, trigger),
        el('td', null, record.actor === 'system' ? t('actor.system') : record.actor),
        el('td', null, word('method.', record.method)), el('td', 'counts-cell', countsText(record.counts) || t('common.none')));
      return row;
    }));
  }

  async function runRetention() {
    const status = $('#retention-status');
    setStatusText(status, '', '');
    $('#retention-error').textContent = '';
    if (!(await confirmDialog(t('retention.runTitle'), t('retention.runText'), t('retention.runOk'), true))) return;
    let data;
    try {
      data = await busy($('#retention-run'), t('retention.runBusy'), function () {
        return api('POST', '/api/privacy/retention/run', {});
      });
    } catch (failure) {
      report(failure, $('#retention-error'));
      return;
    }
    setStatusText(status, data.record ? t('retention.ran', { counts: countsText(data.record.counts) })
      : t('retention.ranNothing'), 'ok');
    loadRetention();
  }

  // ===================================================================== the privacy notice

  function noticeField(lang, part) {
    return $('#notice-' + lang + '-' + part);
  }

  /** The form as the API takes it: {tr: {short, full}, en: {...}} (the server sets the version). */
  function formNotice() {
    const content = {};
    NOTICE_LANGS.forEach(function (lang) {
      content[lang] = {};
      NOTICE_PARTS.forEach(function (part) { content[lang][part] = noticeField(lang, part).value; });
    });
    return content;
  }

  function noticeText(content, lang, part) {
    return String((((content || {})[lang] || {})[part]) || '');
  }

  /** Compared as the server keeps it (trimmed, Unix line ends), so a stray blank is no change. */
  function noticeKey(content) {
    const parts = [];
    NOTICE_LANGS.forEach(function (lang) {
      NOTICE_PARTS.forEach(function (part) { parts.push(noticeText(content, lang, part).replace(/\r\n/g, '\n').trim()); });
    });
    return JSON.stringify(parts);
  }

  function fillNotice(content) {
    NOTICE_LANGS.forEach(function (lang) {
      NOTICE_PARTS.forEach(function (part) { noticeField(lang, part).value = noticeText(content, lang, part); });
    });
    state.noticeSavedKey = noticeKey(content);
  }

  function isNoticeDirty() {
    return !!(state.notice && !$('#notice-form').hidden && noticeKey(formNotice()) !== state.noticeSavedKey);
  }

  function renderNoticeMeta() {
    const data = state.notice;
    const by = data.updated_by;
    const updated = data.updated_at
      ? (by ? t('notice.updated', { by: by, at: when(data.updated_at) }) : t('notice.updatedAt', { at: when(data.updated_at) }))
      : '';
    const version = data.content && data.content.version !== undefined ? t('notice.version', { version: data.content.version }) : '';
    $('#notice-updated').textContent = [updated, version].filter(Boolean).join(' · ');
    if (state.noticeConflict) renderNoticeConflict();
  }

  async function loadNotice(options) {
    const epoch = state.epoch;
    if (isNoticeDirty() && !(options && options.force)) return;  // what is typed stays
    const error = $('#notice-error');
    error.textContent = '';
    let response;
    try {
      response = await call('GET', '/api/privacy/notice');
    } catch (failure) {
      report(failure, error);
      return;
    }
    if (epoch !== state.epoch) return;
    if (response.status === 404 || response.status === 405) {
      // The bridge has no notice API routed.
      state.notice = false;
      $('#notice-soon').hidden = false;
      $('#notice-form').hidden = true;
      return;
    }
    const data = await readJson(response);
    if (!response.ok || !data || !data.content) {
      report(new Error(serverWords(data) || t('error.generic')), error);
      return;
    }
    state.notice = data;
    state.noticeConflict = null;
    $('#notice-conflict').hidden = true;
    $('#notice-soon').hidden = true;
    $('#notice-form').hidden = false;
    fillNotice(data.content);
    renderNoticeMeta();
    setStatusText($('#notice-status'), '', '');
  }

  async function saveNotice(event) {
    if (event) event.preventDefault();
    if (!state.notice) return;
    const error = $('#notice-error');
    const status = $('#notice-status');
    error.textContent = '';
    // Saving again after a conflict goes over the version that won, on purpose.
    const revision = state.noticeConflict ? state.noticeConflict.revision : state.notice.revision;
    let data;
    try {
      data = await busy($('#notice-save'), t('notice.saving'), function () {
        return api('PUT', '/api/privacy/notice', { content: formNotice(), revision: revision });
      });
    } catch (failure) {
      setStatusText(status, '', '');
      if (failure.status === 409 && failure.data && failure.data.conflict) {
        // Someone else saved first: say so, keep what was typed, show what they saved.
        state.noticeConflict = failure.data.conflict;
        $('#notice-conflict .conflict-message').textContent = failure.message || t('notice.conflict');
        renderNoticeConflict();
        $('#notice-conflict').hidden = false;
        $('#notice-conflict').scrollIntoView({ block: 'nearest' });
        $('#notice-keep').focus();
        return;
      }
      report(failure, error);
      return;
    }
    state.notice = data;
    state.noticeConflict = null;
    $('#notice-conflict').hidden = true;
    fillNotice(data.content);
    renderNoticeMeta();
    setStatusText(status, t('notice.saved'), 'ok');
  }

  /** The saved text's parts that differ from the form, read-only, to copy from. */
  function renderNoticeConflict() {
    const conflict = state.noticeConflict;
    const box = $('#notice-conflict-fields');
    if (!conflict) {
      box.replaceChildren();
      return;
    }
    const mine = formNotice();
    const rows = [];
    NOTICE_LANGS.forEach(function (lang) {
      NOTICE_PARTS.forEach(function (part) {
        const theirs = noticeText(conflict.theirs, lang, part);
        if (theirs.trim() === noticeText(mine, lang, part).trim()) return;
        const id = 'notice-theirs-' + lang + '-' + part;
        const field = el('div', 'field');
        const label = el('label', null, t('notice.theirs', {
          field: t('lang.' + lang) + ' · ' + t('notice.' + part), by: conflict.by || t('common.none'), at: when(conflict.at),
        }));
        label.htmlFor = id;
        const text = el('textarea', 'theirs');
        text.id = id;
        text.readOnly = true;
        text.rows = part === 'short' ? 3 : 8;
        text.value = theirs;
        if (lang === 'en') text.lang = 'en';
        field.append(label, text);
        rows.push(field);
      });
    });
    if (!rows.length) rows.push(el('p', 'muted', t('notice.noDiff')));
    box.replaceChildren.apply(box, rows);
  }

  async function reloadNotice() {
    await loadNotice({ force: true });
    if (!state.noticeConflict) notice(t('notice.reloaded'));
    $('#notice-tr-short').focus();
  }

  // ===================================================================== session

  async function startSession(token, user) {
    state.token = token;
    state.user = user || null;
    const epoch = ++state.epoch;
    if (user && user.role && user.role !== 'admin') {
      // A saved login of another role (e.g. the role was changed): not kept here.
      Login.logout(token);
      endSession(t('login.wrongRole'), user);
      return;
    }
    let data;
    try {
      data = await api('GET', '/api/privacy/requests');
    } catch (error) {
      if (error.stale || epoch !== state.epoch) return;
      endSession(error.message);
      return;
    }
    if (epoch !== state.epoch) return;
    const serverNow = Date.parse(data.now);
    state.clockOffset = isNaN(serverNow) ? 0 : serverNow - Date.now();
    state.requests = data.requests || [];
    Login.showApp(user);
    renderIdentifierField();
    state.view = 'requests';
    $$('.tab[data-view]').forEach(function (tab) {
      if (tab.dataset.view === 'requests') tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    });
    $$('.view').forEach(function (section) { section.hidden = section.id !== 'view-requests'; });
    renderRequests();
  }

  /** Back to the login form: forget the token and everything shown. */
  function endSession(message, wrongPageUser) {
    state.epoch++;
    session.clear();
    $$('dialog').forEach(function (dialog) { if (dialog.open) dialog.close(); });
    revokeDownloads();
    Object.assign(state, {
      token: null, user: null, requests: null, panels: {}, previews: {}, result: null, audit: null,
      retention: null, notice: null, noticeSavedKey: '', noticeConflict: null, eraseFor: null, view: 'requests',
    });
    ['#open-list', '#answered-list', '#audit-rows', '#retention-rows', '#retention-periods', '#answer-result-body']
      .forEach(function (id) { $(id).replaceChildren(); });
    ['#open-summary', '#audit-count', '#notice-updated', '#requests-error', '#new-request-error', '#audit-error',
      '#retention-error', '#notice-error'].forEach(function (id) { $(id).textContent = ''; });
    ['#retention-status', '#notice-status'].forEach(function (id) { setStatusText($(id), '', ''); });
    ['#new-identifier', '#new-note', '#audit-customer'].forEach(function (id) { $(id).value = ''; });
    NOTICE_LANGS.forEach(function (lang) {
      NOTICE_PARTS.forEach(function (part) { noticeField(lang, part).value = ''; });
    });
    $('#answer-result').hidden = true;
    $('#requests-tab-count').hidden = true;
    $('#notice-conflict').hidden = true;
    $('#notice-conflict-fields').replaceChildren();
    $('#me-name').textContent = '';
    document.title = t('app.title');
    if (wrongPageUser) Login.showWrongPage(message, wrongPageUser, t);
    else Login.showForm(message);
  }

  // ===================================================================== wiring

  function bindEvents() {
    Login.bindForm({ session: session, text: t, onSuccess: startSession, roles: ['admin'] });
    $$('.lang-toggle').forEach(function (node) { node.addEventListener('click', toggleLanguage); });
    $('#logout').addEventListener('click', async function () {
      if (isNoticeDirty() && !(await confirmDialog(t('notice.discardTitle'), t('notice.discardText'),
        t('notice.discardOk'), true))) return;
      Login.logout(state.token);
      endSession('');
    });
    $$('.tab[data-view]').forEach(function (tab) {
      tab.addEventListener('click', function () { showView(tab.dataset.view); });
    });

    $('#new-request-form').addEventListener('submit', submitNewRequest);
    $$('input[name="identifier_kind"]').forEach(function (node) {
      node.addEventListener('change', function () {
        renderIdentifierField();
        $('#new-request-error').textContent = '';
      });
    });
    $('#requests-reload').addEventListener('click', loadRequests);
    $('#answer-result-close').addEventListener('click', closeResult);
    $('#open-title').tabIndex = -1;

    $('#erase-form').addEventListener('submit', submitErase);
    $('#erase-confirm').addEventListener('input', onEraseInput);
    $('#erase-cancel').addEventListener('click', function () { $('#erase-dialog').close(); });
    $('#erase-dialog').addEventListener('close', function () {
      const target = state.eraseFor;
      state.eraseFor = null;
      const card = target && $('#open-list .request[data-id="' + target.request.id + '"] .erase-open');
      if (card) card.focus();
    });

    $('#audit-form').addEventListener('submit', function (event) {
      event.preventDefault();
      loadAudit();
    });
    $('#audit-clear').addEventListener('click', function () {
      $('#audit-customer').value = '';
      loadAudit();
    });
    $('#audit-csv').addEventListener('click', downloadAudit);

    $('#retention-run').addEventListener('click', runRetention);

    $('#notice-form').addEventListener('submit', saveNotice);
    $('#notice-form').addEventListener('input', function () {
      setStatusText($('#notice-status'), isNoticeDirty() ? t('notice.unsaved') : '', isNoticeDirty() ? 'dirty' : '');
    });
    $('#notice-reload').addEventListener('click', reloadNotice);
    $('#notice-keep').addEventListener('click', function () { saveNotice(); });

    Staff.askBeforeLeaving(function () { return state.token && isNoticeDirty(); });
  }

  async function init() {
    await i18n.ready();  // the words before anything is shown
    Login.renderForm(t, { languageToggle: true });
    i18n.apply();
    renderIdentifierField();
    bindEvents();
    // An expired token goes to the login form without a refused request first.
    const resumed = Login.resume(session, startSession, function () { endSession(t('login.expired')); });
    if (!resumed) Login.showForm('');
  }

  init();
})();
