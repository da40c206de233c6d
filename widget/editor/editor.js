/*
 * Kuzey Destek — the editors' studio (/editor): the knowledge base's topics, the agent console's
 * canned responses and tags, publishing, trying a question, versions and rollback.
 *
 * One page, no framework, no build step (ES2019), like the agent console. Logs in with the shared
 * widget/shared/login.js, then uses the bridge's JSON API under /api/editor (docs/editor-studio.md,
 * bot/studio/web.py) with the token. The words every staff page shares, the language toggle, the
 * token's requests, the toasts and the confirm dialog: widget/shared/staff.js.
 *
 * Rules kept throughout:
 *  - every text from the server (answers, titles, names, messages) goes into the page with
 *    textContent or a form field's value, never innerHTML: what someone typed is shown as text;
 *  - every UI text comes from the text catalogue (domains `staff` and `editor`), Turkish and English
 *    (the page starts in the language chosen before in this browser, else the browser's own; the
 *    toggle in the top bar switches). The server's messages are Turkish;
 *  - nothing typed is lost: a save refused because someone else saved first shows both versions
 *    side by side, and unsaved changes are asked about before they are thrown away.
 */
(function () {
  'use strict';

  // ===================================================================== UI texts

  // Every UI text is in the text catalogue: the words the staff pages share, domain `staff`, and the
  // studio's own, domain `editor` (locale/<lang>/LC_MESSAGES/staff.po, editor.po), which the page loads
  // for its language before showing anything (widget/shared/staff.js i18n, served by
  // bot/desk/texts_web.py). Families of words are keys with a prefix and the server's code: action.,
  // job., phase., kind., status., sender., intent., try.model. (word(prefix, code)).

  const LANGUAGES = ['tr', 'en'];
  const ANSWER_LIMIT = 700;          // the answer length the knowledge base checks (bot/knowledge.py)
  const STATUS_EVERY_MS = 3000;      // the publish panel asks the server this often
  const INBOX_EVERY_MS = 30000;      // the inbox (once its tab has been opened)
  const SEARCH_DELAY_MS = 250;
  const TOAST_MS = 8000;
  const NOTICE_MS = 6000;
  const ZONE = 'Europe/Istanbul';
  const TOPIC_NAME = /^[a-z][a-z0-9_]*$/;

  // The login, the token in sessionStorage and its expiry: widget/shared/login.js.
  const Login = window.KuzeyLogin;
  const session = Login.session('kuzey.editor');
  // The words, the language (remembered in this browser) and the DOM helpers: widget/shared/staff.js.
  const Staff = window.KuzeyStaff;
  const { $, $$, el, button, setStatusText } = Staff;
  const i18n = Staff.i18n('editor', 'kuzey.editor.lang');
  const { t, word, locale } = i18n;
  const toast = Staff.flash('#toast', TOAST_MS);    // errors (role=alert)
  const notice = Staff.flash('#notice', NOTICE_MS); // successes
  // Resolves true when the editor confirms (a native <dialog>: Escape cancels).
  const confirmDialog = Staff.confirmer(t, 'btn-danger');

  const state = {
    token: null,
    user: null,
    epoch: 0,                 // bumped on every login/logout: late answers of an old session are dropped
    view: 'topics',
    topics: [],               // the list (summaries), as the last search returned it
    query: '',
    current: null,            // the open topic as the server last sent it
    savedKey: '',             // the open topic's saved content, as the form reads it
    conflict: null,           // {revision, ...} while a refused save is being resolved
    saving: false,
    topicTab: 'edit',
    desk: null,               // {content, revision, updated_by, updated_at}
    deskSavedKey: '',
    deskConflict: null,
    deskLoaded: false,
    status: null,
    statusBusy: false,
    statusTimer: 0,
    lastPendingKey: '',
    jobDetail: null,          // {key: "id:status", data} of GET /api/editor/jobs/{id}
    jobDetailLoading: '',
    jobBusy: false,
    hiddenJob: '',
    publishing: false,
    versions: null,
    tryResult: null,
    searchTimer: 0,
    newTopicNameTouched: false,
    newTopicSource: null,     // the inbox group a new topic is started from (and its draft)
    inbox: null,
    inboxAvailable: null,     // null: not asked yet; false: the bridge has no inbox API yet
    inboxRequest: 0,
    inboxOpen: null,
    inboxTimer: 0,
  };

  // ===================================================================== helpers

  function when(iso) {
    if (!iso) return t('common.none');
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    return new Intl.DateTimeFormat(locale(), {
      timeZone: ZONE, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
    }).format(date);
  }

  function percent(value, digits) {
    if (value === null || value === undefined || isNaN(Number(value))) return t('common.none');
    return new Intl.NumberFormat(locale(), {
      style: 'percent', minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0,
    }).format(Number(value));
  }

  function etaText(seconds) {
    if (seconds === null || seconds === undefined) return '';
    if (seconds < 60) return t('eta.lessMinute');
    return t('eta.minutes', { n: Math.round(seconds / 60) });
  }

  /** Length as the knowledge base counts it: runs of white space are one space, in characters. */
  function answerLength(text) {
    return Array.from(text.trim().split(/\s+/).join(' ')).length;
  }

  function questionLines(text) {
    return text.split('\n').map(function (line) { return line.trim(); }).filter(Boolean);
  }

  /** The topic's title in the page's language (Turkish when the English one is missing). */
  function titleOf(summary) {
    const title = (summary && summary.title) || {};
    return title[i18n.lang()] || title.tr || title.en || (summary && summary.name) || '';
  }

  function topicTitle(name) {
    const summary = state.topics.find(function (topic) { return topic.name === name; });
    return summary ? titleOf(summary) : name;
  }

  // ===================================================================== API

  // Requests with the token: a refused token (401) ends the session (widget/shared/staff.js).
  const { api } = Staff.client(state, { text: t, endSession: endSession });

  /** Shows a failure unless it belongs to a session that is over. */
  function report(error, node) {
    if (error && error.stale) return;
    const message = (error && error.message) || t('error.generic');
    if (node) setStatusText(node, message, 'error');
    else toast(message);
  }

  function topicUrl(name, suffix) {
    return '/api/editor/topics/' + encodeURIComponent(name) + (suffix || '');
  }

  // ===================================================================== language

  async function toggleLanguage() {
    await i18n.toggle();
    if (!state.token) return;
    renderTopicList();
    if (state.current) {
      renderTopicHead();
      updateCounters();
      if (state.topicTab === 'history') loadHistory();
    }
    if (state.desk) renderDeskLegends();
    if (state.status) renderStatus(state.status);
    if (state.versions) renderVersions(state.versions);
    if (state.tryResult) renderTry(state.tryResult);
    if (state.inbox) renderInbox(state.inbox);
  }

  // ===================================================================== views

  function showView(view) {
    state.view = view;
    $$('.tab[data-view]').forEach(function (tab) {
      if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    });
    ['topics', 'desk', 'versions', 'inbox'].forEach(function (name) {
      $('#view-' + name).hidden = name !== view;
    });
    if (view === 'desk' && !isDeskDirty() && !state.deskConflict) loadDesk();
    if (view === 'versions') loadVersions();
    if (view === 'inbox') loadInbox();
  }

  // ===================================================================== topics: the list

  async function loadTopics() {
    const query = state.query;
    try {
      const data = await api('GET', '/api/editor/topics?q=' + encodeURIComponent(query));
      if (query !== state.query) return;  // a newer search is on its way
      state.topics = data.topics || [];
      renderTopicList();
      if (state.current) renderTopicHead();
      if (state.status) renderStatus(state.status);
    } catch (error) {
      report(error);
    }
  }

  function badgesFor(summary) {
    const badges = [];
    if (summary.retired) badges.push(el('span', 'badge badge-retired', t('badge.retired')));
    if (summary.changed) {
      const badge = el('span', 'badge badge-changed', t('badge.changed'));
      badge.title = t('badge.changedHint');
      badges.push(badge);
    }
    if (summary.problems) badges.push(el('span', 'badge badge-problems', t('badge.problems', { n: summary.problems })));
    return badges;
  }

  function renderTopicList() {
    const list = $('#topic-list');
    list.replaceChildren();
    state.topics.forEach(function (topic) {
      const item = el('li');
      const pick = el('button', 'topic-item');
      pick.type = 'button';
      pick.dataset.name = topic.name;
      if (state.current && state.current.name === topic.name) pick.setAttribute('aria-current', 'true');
      if (topic.retired) pick.classList.add('is-retired');
      pick.appendChild(el('span', 'topic-title', titleOf(topic)));
      pick.appendChild(el('span', 'topic-code', topic.name));
      const badges = el('span', 'badges');
      badgesFor(topic).forEach(function (badge) { badges.appendChild(badge); });
      pick.appendChild(badges);
      pick.addEventListener('click', function () { openTopic(topic.name); });
      item.appendChild(pick);
      list.appendChild(item);
    });
    $('#topic-count').textContent = state.topics.length ? t('topics.count', { n: state.topics.length })
      : t('topics.noMatch');
  }

  function onSearchInput() {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(function () {
      state.query = $('#topic-search').value.trim();
      loadTopics();
    }, SEARCH_DELAY_MS);
  }

  // ===================================================================== topics: the editor

  const FIELDS = [
    { key: 'title.tr', input: '#f-title-tr' },
    { key: 'questions.tr', input: '#f-questions-tr', counter: '#c-questions-tr' },
    { key: 'answer.tr', input: '#f-answer-tr', counter: '#c-answer-tr' },
    { key: 'title.en', input: '#f-title-en' },
    { key: 'questions.en', input: '#f-questions-en', counter: '#c-questions-en' },
    { key: 'answer.en', input: '#f-answer-en', counter: '#c-answer-en' },
  ];

  function fieldLabel(key) {
    const parts = key.split('.');
    return t('field.' + parts[0]) + ' (' + parts[1].toUpperCase() + ')';
  }

  /** A topic's content as the form holds it (and as compared to find unsaved changes). */
  function normalize(content) {
    const source = content || {};
    const out = { title: {}, questions: {}, answer: {} };
    LANGUAGES.forEach(function (language) {
      out.title[language] = String((source.title || {})[language] || '').trim();
      const questions = (source.questions || {})[language];
      out.questions[language] = Array.isArray(questions)
        ? questions.map(function (q) { return String(q).trim(); }).filter(Boolean) : [];
      out.answer[language] = String((source.answer || {})[language] || '').trim();
    });
    return out;
  }

  function contentKey(content) {
    return JSON.stringify(normalize(content));
  }

  function formContent() {
    const content = { title: {}, questions: {}, answer: {} };
    LANGUAGES.forEach(function (language) {
      content.title[language] = $('#f-title-' + language).value.trim();
      content.questions[language] = questionLines($('#f-questions-' + language).value);
      content.answer[language] = $('#f-answer-' + language).value.trim();
    });
    return content;
  }

  function fieldText(content, key) {
    const parts = key.split('.');
    const value = ((content || {})[parts[0]] || {})[parts[1]];
    if (Array.isArray(value)) return value.join('\n');
    return value === undefined || value === null ? '' : String(value);
  }

  function fillForm(content) {
    const normal = normalize(content);
    FIELDS.forEach(function (field) { $(field.input).value = fieldText(normal, field.key); });
    updateCounters();
  }

  function isTopicDirty() {
    return Boolean(state.current) && contentKey(formContent()) !== state.savedKey;
  }

  function isDeskDirty() {
    return Boolean(state.desk) && deskKey(readDesk()) !== state.deskSavedKey;
  }

  function updateCounters() {
    LANGUAGES.forEach(function (language) {
      const count = questionLines($('#f-questions-' + language).value).length;
      $('#c-questions-' + language).textContent = t('count.questions', { n: count });
      const length = answerLength($('#f-answer-' + language).value);
      const counter = $('#c-answer-' + language);
      const over = length - ANSWER_LIMIT;
      counter.textContent = over > 0 ? t('count.over', { n: length, max: ANSWER_LIMIT, over: over })
        : t('count.chars', { n: length, max: ANSWER_LIMIT });
      counter.classList.toggle('over', over > 0);
    });
    if (state.current && !state.saving && !state.conflict) {
      const status = $('#topic-status');
      if (isTopicDirty()) setStatusText(status, t('topic.unsaved'), 'dirty');
      else if (status.getAttribute('data-kind') === 'dirty') setStatusText(status, '', '');
    }
  }

  function setCurrent(topic, fill) {
    state.current = topic;
    state.savedKey = contentKey(topic.content);
    if (fill) fillForm(topic.content);
    renderTopicHead();
    renderProblems(topic.problems || []);
    renderLiveAnswers();
    updateCounters();
  }

  function renderTopicHead() {
    const topic = state.current;
    if (!topic) return;
    const summary = state.topics.find(function (item) { return item.name === topic.name; });
    $('#topic-heading').textContent = titleOf(summary || { name: topic.name, title: (topic.content || {}).title });
    $('#topic-name').textContent = topic.name;
    $('#topic-updated').textContent = t('topic.updated', {
      by: topic.updated_by || t('common.none'), at: when(topic.updated_at),
    });
    const badges = $('#topic-badges');
    badges.replaceChildren();
    const shown = summary || {
      retired: topic.retired, problems: (topic.problems || []).length,
      changed: topic.retired ? topic.live !== null : contentKey(topic.live) !== contentKey(topic.content) || !topic.live,
    };
    badgesFor(shown).forEach(function (badge) { badges.appendChild(badge); });
    $('#topic-retired-note').hidden = !topic.retired;
    $('#topic-retire').hidden = topic.retired;
    $('#topic-restore').hidden = !topic.retired;
    $$('#topic-list .topic-item').forEach(function (item) {
      if (item.dataset.name === topic.name) item.setAttribute('aria-current', 'true');
      else item.removeAttribute('aria-current');
    });
  }

  /** The draft's problems next to the field they name; the rest above the form. */
  function renderProblems(problems) {
    $$('#topic-editor .problems').forEach(function (list) { list.replaceChildren(); });
    FIELDS.forEach(function (field) {
      $(field.input).removeAttribute('aria-invalid');
      $(field.input).closest('.field').classList.remove('has-problem');
    });
    problems.forEach(function (problem) {
      const field = FIELDS.find(function (item) { return item.key === problem.field; });
      const list = field ? $('#p-' + problem.field.replace('.', '-')) : $('#topic-problems');
      list.appendChild(el('li', '', problem.message));
      if (field) {
        $(field.input).setAttribute('aria-invalid', 'true');
        $(field.input).closest('.field').classList.add('has-problem');
      }
    });
    $('#topic-problems').hidden = !$('#topic-problems').children.length;
  }

  function renderLiveAnswers() {
    const live = state.current && state.current.live;
    $$('.live-answer').forEach(function (box) {
      const language = box.dataset.lang;
      const text = live && live.answer ? live.answer[language] : '';
      const draft = state.current ? fieldText(normalize(state.current.content), 'answer.' + language) : '';
      box.hidden = !text || text.trim() === draft;
      box.querySelector('.live-text').textContent = text || '';
    });
  }

  async function confirmDiscard() {
    if (!isTopicDirty()) return true;
    return confirmDialog(t('topic.discardTitle'),
      t('topic.discardText', { title: topicTitle(state.current.name) }), t('topic.discardOk'), true);
  }

  async function openTopic(name, options) {
    const force = options && options.force;
    if (!force && state.current && state.current.name !== name && !(await confirmDiscard())) return;
    if (!force && state.current && state.current.name === name && !state.conflict) {
      $('#view-topics').classList.add('editing');
      return;
    }
    try {
      const data = await api('GET', topicUrl(name));
      state.conflict = null;
      $('#topic-conflict').hidden = true;
      setStatusText($('#topic-status'), '', '');
      setCurrent(data.topic, true);
      $('#topic-empty').hidden = true;
      $('#topic-editor').hidden = false;
      $('#view-topics').classList.add('editing');
      showTopicTab('edit');
      if (!(options && options.keepFocus)) $('#topic-heading').focus();
    } catch (error) {
      report(error);
    }
  }

  function showTopicTab(tab) {
    state.topicTab = tab;
    $('#topic-tab-edit').setAttribute('aria-selected', String(tab === 'edit'));
    $('#topic-tab-history').setAttribute('aria-selected', String(tab === 'history'));
    $('#topic-edit-panel').hidden = tab !== 'edit';
    $('#topic-history-panel').hidden = tab !== 'history';
    if (tab === 'history') loadHistory();
  }

  async function saveTopic(event) {
    if (event) event.preventDefault();
    if (!state.current || state.saving) return;
    const name = state.current.name;
    const content = formContent();
    const sentKey = contentKey(content);
    const revision = state.conflict ? state.conflict.revision : state.current.revision;
    const status = $('#topic-status');
    state.saving = true;
    $('#topic-save').disabled = true;
    setStatusText(status, t('topic.saving'), 'busy');
    try {
      const data = await api('PUT', topicUrl(name), { content: content, revision: revision });
      state.conflict = null;
      $('#topic-conflict').hidden = true;
      // What was typed while the save was on its way stays in the form.
      setCurrent(data.topic, contentKey(formContent()) === sentKey);
      const problems = (data.topic.problems || []).length;
      const asLive = !data.topic.retired && data.topic.live
        && contentKey(data.topic.live) === contentKey(data.topic.content);
      if (problems) setStatusText(status, t('topic.savedInvalid', { n: problems }), 'warn');
      else setStatusText(status, t(asLive ? 'topic.savedAsLive' : 'topic.saved'), 'ok');
      loadTopics();
      refreshStatus();
    } catch (error) {
      if (error.status === 409 && error.data && error.data.conflict) {
        showTopicConflict(error.data.conflict, error.message);
        setStatusText(status, t('topic.conflictStatus'), 'error');
      } else {
        report(error, status);
      }
    } finally {
      state.saving = false;
      $('#topic-save').disabled = false;
    }
  }

  async function retireOrRestore(action) {
    if (!state.current) return;
    const name = state.current.name;
    if (action === 'retire' && !(await confirmDialog(t('topic.retireTitle'),
      t('topic.retireText', { title: topicTitle(name) }), t('topic.retireOk'), true))) return;
    const status = $('#topic-status');
    try {
      const data = await api('POST', topicUrl(name, '/' + action), { revision: state.current.revision });
      const dirty = isTopicDirty();
      const typed = formContent();
      setCurrent(data.topic, !dirty);
      if (dirty) fillForm(typed);
      updateCounters();
      setStatusText(status, t(action === 'retire' ? 'topic.retired' : 'topic.restored'), 'ok');
      loadTopics();
      refreshStatus();
    } catch (error) {
      if (error.status === 409 && error.data && error.data.conflict) {
        showTopicConflict(Object.assign({}, error.data.conflict, { yours: formContent() }), error.message);
        setStatusText(status, t('topic.conflictStatus'), 'error');
      } else {
        report(error, status);
      }
    }
  }

  // ===================================================================== conflicts

  /**
   * Both versions side by side, field by field (`rows`: {key, label, yours, theirs}); the saved
   * one may be copied, or (with `onTake`) put into the form field by field.
   */
  function renderConflict(section, message, conflict, rows, onTake) {
    section.querySelector('.conflict-message').textContent = message;
    const grid = section.querySelector('.conflict-columns');
    grid.replaceChildren();
    const yoursHead = el('div', 'conflict-head conflict-yours');
    yoursHead.appendChild(el('h4', '', t('conflict.yours')));
    const theirsHead = el('div', 'conflict-head conflict-theirs');
    theirsHead.appendChild(el('h4', '', t('conflict.theirs')));
    theirsHead.appendChild(el('p', 'muted small conflict-meta',
      t('conflict.savedBy', { by: conflict.by || t('common.none'), at: when(conflict.at) })));
    grid.appendChild(yoursHead);
    grid.appendChild(theirsHead);
    rows.forEach(function (row) {
      const differs = row.yours !== row.theirs;
      grid.appendChild(conflictCell(row, 'yours', row.yours, differs, null));
      grid.appendChild(conflictCell(row, 'theirs', row.theirs, differs, onTake));
    });
    section.hidden = false;
  }

  function conflictCell(row, side, text, differs, onTake) {
    const cell = el('div', 'conflict-cell conflict-' + side + (differs ? ' differs' : ''));
    cell.dataset.field = row.key;
    const id = 'conflict-' + side + '-' + row.key.replace(/[^a-z0-9]+/gi, '-');
    const label = el('label', 'conflict-label');
    label.htmlFor = id;
    label.appendChild(el('span', 'conflict-side', t(side === 'yours' ? 'conflict.yours' : 'conflict.theirs') + ': '));
    label.appendChild(document.createTextNode(row.label + ' '));
    label.appendChild(el('span', 'badge ' + (differs ? 'badge-changed' : 'badge-same'),
      t(differs ? 'conflict.differs' : 'conflict.same')));
    const area = el('textarea', 'conflict-text');
    area.id = id;
    area.readOnly = true;
    area.value = text;
    area.rows = Math.min(8, Math.max(2, text.split('\n').length));
    const tools = el('div', 'conflict-tools');
    tools.appendChild(button('btn-small conflict-copy', t('conflict.copy'), function () { copyText(text, area); }));
    if (onTake && differs) {
      tools.appendChild(button('btn-small conflict-use', t('conflict.take'), function () { onTake(row, text); }));
    }
    cell.appendChild(label);
    cell.appendChild(area);
    cell.appendChild(tools);
    return cell;
  }

  async function copyText(text, area) {
    try {
      await navigator.clipboard.writeText(text);
      notice(t('conflict.copied'));
    } catch (_) {
      // No clipboard API (a page not on https): select it for the editor, and try the old way.
      area.focus();
      area.select();
      let copied = false;
      try {
        copied = document.execCommand('copy');
      } catch (__) {
        copied = false;
      }
      notice(t(copied ? 'conflict.copied' : 'conflict.copyManual'));
    }
  }

  function showTopicConflict(conflict, message) {
    state.conflict = conflict;
    const yours = normalize(conflict.yours || formContent());
    const theirs = normalize(conflict.theirs);
    const rows = FIELDS.map(function (field) {
      return {
        key: field.key, label: fieldLabel(field.key), yours: fieldText(yours, field.key), theirs: fieldText(theirs, field.key),
      };
    });
    renderConflict($('#topic-conflict'), message, conflict, rows, function (row, text) {
      const field = FIELDS.find(function (item) { return item.key === row.key; });
      $(field.input).value = text;
      updateCounters();
      notice(t('conflict.taken', { field: row.label }));
    });
    $('#topic-conflict').scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  function confirmTakeTheirs() {
    return confirmDialog(t('conflict.takeTheirsTitle'), t('conflict.takeTheirsText'), t('conflict.takeTheirsOk'), true);
  }

  async function takeTheirsTopic() {
    if (!state.current) return;
    if (!(await confirmTakeTheirs())) return;
    await openTopic(state.current.name, { force: true, keepFocus: true });
    loadTopics();
  }

  // ===================================================================== topics: history

  async function loadHistory() {
    if (!state.current) return;
    const name = state.current.name;
    const list = $('#topic-history');
    const empty = $('#topic-history-empty');
    empty.hidden = false;
    empty.textContent = t('history.loading');
    try {
      const data = await api('GET', topicUrl(name, '/history'));
      if (!state.current || state.current.name !== name) return;
      list.replaceChildren();
      const changes = data.changes || [];
      empty.textContent = changes.length ? '' : t('history.empty');
      empty.hidden = Boolean(changes.length);
      changes.forEach(function (change) { list.appendChild(historyItem(change)); });
    } catch (error) {
      empty.textContent = '';
      report(error);
    }
  }

  function historyItem(change) {
    const item = el('li', 'history-item');
    item.dataset.action = change.action;
    const head = el('p', 'history-head');
    head.appendChild(el('strong', '', word('action.', change.action)));
    head.appendChild(document.createTextNode(' · ' + (change.by || t('common.none')) + ' · ' + when(change.at)));
    item.appendChild(head);
    if (change.note) item.appendChild(el('p', 'history-note muted', change.note));
    const diff = el('div', 'diff');
    const lines = change.diff || [];
    if (!lines.length) diff.appendChild(el('div', 'diff-line muted', t('history.noDiff')));
    lines.forEach(function (line) {
      const kind = line.charAt(0) === '+' ? 'add' : line.charAt(0) === '-' ? 'del' : '';
      diff.appendChild(el('div', 'diff-line ' + kind, line));
    });
    item.appendChild(diff);
    return item;
  }

  // ===================================================================== new topic

  function slug(text) {
    // ç ğ ı İ ö ş ü â î û (written as escapes: the page's code holds no Turkish words of its own).
    const map = {
      '\u00e7': 'c', '\u011f': 'g', '\u0131': 'i', '\u0130': 'i', '\u00f6': 'o', '\u015f': 's', '\u00fc': 'u',
      '\u00e2': 'a', '\u00ee': 'i', '\u00fb': 'u',
    };
    const folded = String(text).replace(/[\u00e7\u011f\u0131\u0130\u00f6\u015f\u00fc\u00e2\u00ee\u00fb]/g,
      function (c) { return map[c]; }).toLowerCase()
      .normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    const name = folded.replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+/, '').replace(/_+$/, '');
    return name.slice(0, 64).replace(/_+$/, '');
  }

  /** The new-topic dialog; `source` (an inbox group and the server's draft) fills it in. */
  function openNewTopic(source) {
    const from = source && source.content ? source : null;
    state.newTopicSource = from;
    const content = normalize(from ? from.content : {});
    $('#new-topic-tr').value = content.title.tr;
    $('#new-topic-en').value = content.title.en;
    $('#new-topic-name').value = from && from.name ? from.name : '';
    $('#new-topic-question').value = content.questions.tr.join('\n');
    $('#new-topic-from').textContent = from ? t('newTopic.fromInbox', { text: from.text }) : '';
    $('#new-topic-from').hidden = !from;
    $('#new-topic-error').textContent = '';
    state.newTopicNameTouched = Boolean(from && from.name);
    $('#new-topic-dialog').showModal();
    (content.title.tr ? $('#new-topic-en') : $('#new-topic-tr')).focus();
  }

  function suggestName() {
    if (state.newTopicNameTouched) return;
    $('#new-topic-name').value = slug($('#new-topic-en').value || $('#new-topic-tr').value);
  }

  async function createTopic(event) {
    event.preventDefault();
    const error = $('#new-topic-error');
    const titleTr = $('#new-topic-tr').value.trim();
    const titleEn = $('#new-topic-en').value.trim();
    const name = $('#new-topic-name').value.trim();
    const question = $('#new-topic-question').value.trim();
    if (!titleTr || !titleEn || !name) {
      error.textContent = t('newTopic.missing');
      return;
    }
    if (!TOPIC_NAME.test(name) || name.length > 64) {
      error.textContent = t('newTopic.badName');
      $('#new-topic-name').focus();
      return;
    }
    if (!(await confirmDiscard())) return;
    const create = $('#new-topic-create');
    create.disabled = true;
    const source = state.newTopicSource;
    try {
      // From the inbox: the server's draft (its English questions, an answer an agent suggested)
      // with what the editor wrote here.
      const content = source ? normalize(source.content) : normalize({});
      content.title = { tr: titleTr, en: titleEn };
      content.questions.tr = questionLines(question);
      await api('POST', '/api/editor/topics', { name: name, content: content });
      $('#new-topic-dialog').close();
      state.newTopicSource = null;
      if (source) {
        try {
          await api('POST', '/api/editor/inbox/' + encodeURIComponent(source.group) + '/new_topic', { topic: name });
        } catch (failure) {
          report(failure);  // the topic is made; only the group's mark failed
        }
        showView('topics');
      }
      $('#topic-search').value = '';
      state.query = '';
      await loadTopics();
      await openTopic(name, { force: true });
      notice(t('newTopic.created', { title: i18n.lang() === 'en' ? titleEn : titleTr }));
      refreshStatus();
    } catch (failure) {
      if (!failure.stale) error.textContent = failure.message;
    } finally {
      create.disabled = false;
    }
  }

  // ===================================================================== canned responses and tags

  let deskIds = 0;

  async function loadDesk() {
    setStatusText($('#desk-status'), t('desk.loading'), 'busy');
    try {
      const data = await api('GET', '/api/editor/desk');
      setDesk(data);
      setStatusText($('#desk-status'), '', '');
    } catch (error) {
      report(error, $('#desk-status'));
    }
  }

  function setDesk(data) {
    state.desk = data;
    state.deskLoaded = true;
    fillDesk(data.content || {});
    state.deskSavedKey = deskKey(readDesk());
    renderDeskUpdated();
  }

  function renderDeskUpdated() {
    $('#desk-updated').textContent = t('desk.updated', {
      by: state.desk.updated_by || t('common.none'), at: when(state.desk.updated_at),
    });
  }

  function fillDesk(content) {
    $('#desk-responses').replaceChildren();
    $('#desk-tags').replaceChildren();
    (content.responses || []).forEach(function (item) { $('#desk-responses').appendChild(deskItem('responses', item)); });
    (content.tags || []).forEach(function (item) { $('#desk-tags').appendChild(deskItem('tags', item)); });
  }

  function deskInput(box, labelKey, role, value, multiline, lang) {
    const id = 'desk-' + (++deskIds);
    const wrap = el('div', 'field desk-field');
    const label = el('label', '', t(labelKey));
    label.htmlFor = id;
    label.dataset.i18n = labelKey;
    const input = el(multiline ? 'textarea' : 'input');
    input.id = id;
    input.dataset.role = role;
    input.value = value || '';
    if (multiline) input.rows = 2;
    if (lang) input.lang = lang;
    wrap.appendChild(label);
    wrap.appendChild(input);
    box.appendChild(wrap);
    return input;
  }

  function deskItem(kind, item) {
    const data = item || {};
    const box = el('fieldset', 'desk-item');
    box.dataset.kind = kind;
    const legend = el('legend', '', data.key || t('desk.newItem'));
    box.appendChild(legend);
    const key = deskInput(box, 'desk.key', 'key', data.key, false);
    key.setAttribute('autocapitalize', 'none');
    key.spellcheck = false;
    key.addEventListener('input', function () { legend.textContent = key.value.trim() || t('desk.newItem'); });
    const row = el('div', 'desk-row');
    deskInput(row, 'desk.titleTr', 'title.tr', (data.title || {}).tr, false);
    deskInput(row, 'desk.titleEn', 'title.en', (data.title || {}).en, false, 'en');
    box.appendChild(row);
    if (kind === 'responses') {
      const texts = el('div', 'desk-row');
      deskInput(texts, 'desk.textTr', 'text.tr', (data.text || {}).tr, true);
      deskInput(texts, 'desk.textEn', 'text.en', (data.text || {}).en, true, 'en');
      box.appendChild(texts);
    }
    const remove = button('btn-small btn-danger desk-remove', t('desk.remove'), function () { box.remove(); });
    remove.dataset.i18n = 'desk.remove';
    box.appendChild(remove);
    return box;
  }

  function renderDeskLegends() {
    $$('#desk-form [data-i18n]').forEach(function (node) { node.textContent = t(node.dataset.i18n); });
    $$('#desk-form .desk-item').forEach(function (box) {
      const key = box.querySelector('[data-role="key"]').value.trim();
      box.querySelector('legend').textContent = key || t('desk.newItem');
    });
    if (state.desk) renderDeskUpdated();
  }

  function readDesk() {
    const content = { responses: [], tags: [] };
    $$('#desk-form .desk-item').forEach(function (box) {
      const value = function (role) {
        const input = box.querySelector('[data-role="' + role + '"]');
        return input ? input.value.trim() : '';
      };
      const item = { key: value('key'), title: { tr: value('title.tr'), en: value('title.en') } };
      if (box.dataset.kind === 'responses') item.text = { tr: value('text.tr'), en: value('text.en') };
      content[box.dataset.kind].push(item);
    });
    return content;
  }

  function deskKey(content) {
    return JSON.stringify(content);
  }

  function readableDesk(items, withText) {
    return (items || []).map(function (item) {
      const title = item.title || {};
      let text = (item.key || '') + ' — ' + (title.tr || '') + ' / ' + (title.en || '');
      if (withText) text += '\nTR: ' + ((item.text || {}).tr || '') + '\nEN: ' + ((item.text || {}).en || '');
      return text;
    }).join('\n\n');
  }

  async function saveDesk(event) {
    if (event) event.preventDefault();
    if (!state.desk) return;
    const content = readDesk();
    const revision = state.deskConflict ? state.deskConflict.revision : state.desk.revision;
    const status = $('#desk-status');
    $('#desk-save').disabled = true;
    setStatusText(status, t('desk.saving'), 'busy');
    try {
      const data = await api('PUT', '/api/editor/desk', { content: content, revision: revision });
      state.deskConflict = null;
      $('#desk-conflict').hidden = true;
      setDesk(data);
      setStatusText(status, t('desk.saved'), 'ok');
    } catch (error) {
      if (error.status === 409 && error.data && error.data.conflict) {
        const conflict = error.data.conflict;
        state.deskConflict = conflict;
        const theirs = conflict.theirs || {};
        renderConflict($('#desk-conflict'), error.message, conflict, [
          { key: 'responses', label: t('desk.responses'), yours: readableDesk(content.responses, true),
            theirs: readableDesk(theirs.responses, true) },
          { key: 'tags', label: t('desk.tags'), yours: readableDesk(content.tags, false),
            theirs: readableDesk(theirs.tags, false) },
        ], null);
        setStatusText(status, t('desk.conflictStatus'), 'error');
        $('#desk-conflict').scrollIntoView({ block: 'start', behavior: 'smooth' });
      } else {
        report(error, status);
      }
    } finally {
      $('#desk-save').disabled = false;
    }
  }

  async function takeTheirsDesk() {
    if (!(await confirmTakeTheirs())) return;
    state.deskConflict = null;
    $('#desk-conflict').hidden = true;
    await loadDesk();
  }

  // ===================================================================== publishing

  async function refreshStatus() {
    if (!state.token || state.statusBusy) return;
    state.statusBusy = true;
    try {
      const data = await api('GET', '/api/editor/status');
      renderStatus(data);
      const key = JSON.stringify([data.live && data.live.version, data.pending]);
      if (state.lastPendingKey && key !== state.lastPendingKey) {
        // Someone published, rolled back or edited: the badges and the versions follow.
        loadTopics();
        if (state.view === 'versions') loadVersions();
      }
      state.lastPendingKey = key;
    } catch (error) {
      if (!error.stale && error.status === 403) toast(error.message);
    } finally {
      state.statusBusy = false;
    }
  }

  function jobActive(job) {
    return Boolean(job) && (job.status === 'queued' || job.status === 'running');
  }

  function renderStatus(status) {
    state.status = status;
    const live = status.live;
    $('#live-version').textContent = live
      ? t('publish.live', { version: live.version, by: live.by || t('common.none'), at: when(live.published_at) })
      : t('publish.noLive');

    const pending = status.pending || { changed: [], invalid: [], needs_training: false };
    const changed = pending.changed || [];
    const invalid = pending.invalid || [];
    const list = $('#pending-list');
    list.replaceChildren();
    changed.forEach(function (name) {
      const item = el('li');
      item.dataset.name = name;
      const link = el('a', '', topicTitle(name));
      link.href = '#';
      link.addEventListener('click', function (event) {
        event.preventDefault();
        showView('topics');
        openTopic(name);
      });
      item.appendChild(link);
      const summary = state.topics.find(function (topic) { return topic.name === name; });
      if (summary && summary.retired) item.appendChild(el('span', 'badge badge-retired', t('publish.retiredBadge')));
      if (invalid.indexOf(name) >= 0) item.appendChild(el('span', 'badge badge-problems', t('publish.invalidBadge')));
      list.appendChild(item);
    });
    $('#pending-none').hidden = changed.length > 0;
    const note = $('#training-note');
    note.textContent = changed.length ? t(pending.needs_training ? 'publish.needsTraining' : 'publish.answersOnly') : '';
    note.dataset.training = String(Boolean(pending.needs_training));

    const blocked = $('#publish-blocked');
    blocked.textContent = invalid.length ? t('publish.invalid', { names: invalid.map(topicTitle).join(', ') }) : '';
    blocked.hidden = !blocked.textContent;
    // Publishing while a training runs is allowed: answers go live at once, a question change
    // is trained after the running one (the server queues it).
    const wait = $('#publish-wait');
    wait.hidden = !(jobActive(status.job) && changed.length && pending.needs_training && !invalid.length);
    wait.textContent = wait.hidden ? '' : t('publish.jobActive');
    const publish = $('#publish-button');
    publish.disabled = state.publishing || !changed.length || invalid.length > 0;
    publish.textContent = t(state.publishing ? 'publish.busy' : 'publish.button');
    renderJob(status.job);
  }

  async function publish(event) {
    event.preventDefault();
    if (state.publishing) return;
    state.publishing = true;
    $('#publish-button').disabled = true;
    $('#publish-button').textContent = t('publish.busy');
    const result = $('#publish-result');
    setStatusText(result, '', '');
    try {
      const note = $('#publish-note').value.trim();
      const data = await api('POST', '/api/editor/publish', note ? { note: note } : {});
      $('#publish-note').value = '';
      state.hiddenJob = '';
      if (data.kind === 'answers') setStatusText(result, t('publish.doneAnswers', { version: data.version }), 'ok');
      else setStatusText(result, t('publish.doneTraining'), 'ok');
      loadTopics();
      if (state.view === 'versions') loadVersions();
    } catch (error) {
      report(error, result);
    } finally {
      state.publishing = false;
      await refreshStatus();
    }
  }

  function renderJob(job) {
    const box = $('#job');
    if (!job || state.hiddenJob === job.id + ':' + job.status) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.dataset.status = job.status;
    $('#job-title').textContent = word('job.', job.status);
    const running = jobActive(job) || state.jobBusy;
    const bar = $('#job-progress');
    bar.hidden = !running;
    const share = state.jobBusy ? 1 : Math.max(0, Math.min(1, Number(job.progress) || 0));
    bar.setAttribute('aria-valuenow', String(Math.round(share * 100)));
    bar.setAttribute('aria-valuetext', percent(share));
    bar.querySelector('.progress-fill').style.width = (share * 100).toFixed(1) + '%';
    const phase = state.jobBusy ? 'swapping' : job.status === 'queued' ? '' : job.phase || 'starting';
    $('#job-phase').textContent = running && phase ? word('phase.', phase) : '';
    $('#job-eta').textContent = job.status === 'running' && job.eta_seconds
      ? t('job.eta', { time: etaText(job.eta_seconds) }) : '';

    const outcome = $('#job-outcome');
    outcome.replaceChildren();
    $('#job-publish').hidden = true;
    $('#job-override').hidden = true;
    $('#job-hide').hidden = !(job.status === 'failed' || job.status === 'published');
    if (job.status === 'failed') {
      outcome.appendChild(el('p', 'job-error', job.error || t('error.generic')));
      outcome.appendChild(el('p', 'muted', t('job.nothingChanged')));
    } else if (job.status === 'published') {
      outcome.appendChild(el('p', '', t('job.publishedText', { version: job.version })));
    } else if (job.status === 'passed' || job.status === 'blocked') {
      renderGate(job, outcome);
    }
  }

  async function renderGate(job, outcome) {
    const key = job.id + ':' + job.status;
    if (!state.jobDetail || state.jobDetail.key !== key) {
      outcome.appendChild(el('p', 'muted', t('job.loadingGate')));
      if (state.jobDetailLoading === key) return;  // asked already; the answer re-renders
      state.jobDetailLoading = key;
      try {
        const data = await api('GET', '/api/editor/jobs/' + encodeURIComponent(job.id));
        state.jobDetail = { key: key, data: data };
      } catch (error) {
        report(error);
        return;
      } finally {
        state.jobDetailLoading = '';
      }
      if (state.status && state.status.job) renderJob(state.status.job);
      return;
    }
    const version = state.jobDetail.data.version || {};
    const gate = version.gate || {};
    if (job.status === 'blocked') {
      outcome.appendChild(el('p', '', t('job.blockedText')));
      const reasons = el('ul', 'gate-reasons');
      (gate.reasons || []).forEach(function (reason) { reasons.appendChild(el('li', '', reason)); });
      outcome.appendChild(reasons);
    } else {
      outcome.appendChild(el('p', '', t('job.passedText')));
    }
    outcome.appendChild(gateFigures(gate));
    const admin = state.status && state.status.role === 'admin';
    if (job.status === 'passed') $('#job-publish').hidden = false;
    if (job.status === 'blocked') {
      if (admin) $('#job-override').hidden = false;
      else outcome.appendChild(el('p', 'muted small', t('job.adminOnly')));
    }
    $('#job-publish').disabled = state.jobBusy;
    $('#job-override').disabled = state.jobBusy;
  }

  /** The held-out figures of the candidate beside the live model's, and the other checks. */
  function gateFigures(gate) {
    const box = el('div', 'gate');
    const heldout = gate.heldout;
    if (heldout && heldout.candidate) {
      const table = el('table', 'gate-table');
      table.appendChild(el('caption', '', t('gate.figures', { n: heldout.candidate.n || t('common.none') })));
      const head = el('tr');
      ['gate.metric', 'gate.candidate', 'gate.live'].forEach(function (key) {
        const th = el('th', '', t(key));
        th.scope = 'col';
        head.appendChild(th);
      });
      table.appendChild(el('thead')).appendChild(head);
      const body = el('tbody');
      ['intent', 'topic'].forEach(function (metric) {
        const row = el('tr');
        row.dataset.metric = metric;
        const th = el('th', '', t('gate.' + metric));
        th.scope = 'row';
        row.appendChild(th);
        const candidate = heldout.candidate[metric];
        const live = heldout.live ? heldout.live[metric] : null;
        const cell = el('td', '', percent(candidate / 100, 1));
        if (live !== null && live !== undefined && candidate < live) cell.className = 'worse';
        row.appendChild(cell);
        row.appendChild(el('td', '', live === null || live === undefined ? t('common.none') : percent(live / 100, 1)));
        body.appendChild(row);
      });
      table.appendChild(body);
      box.appendChild(table);
    }
    const checks = el('ul', 'gate-checks');
    [['validate', 'gate.validate'], ['stories', 'gate.stories']].forEach(function (pair) {
      const check = gate[pair[0]];
      if (!check) return;
      checks.appendChild(el('li', check.ok ? 'ok' : 'not-ok', t(pair[1]) + ': ' + t(check.ok ? 'gate.ok' : 'gate.notOk')));
    });
    if (checks.children.length) box.appendChild(checks);
    return box;
  }

  async function publishJob(reason) {
    const job = state.status && state.status.job;
    if (!job || state.jobBusy) return false;
    state.jobBusy = true;
    renderJob(job);
    try {
      const data = await api('POST', '/api/editor/jobs/' + encodeURIComponent(job.id) + '/publish',
        reason ? { reason: reason } : {});
      setStatusText($('#publish-result'), t('job.publishedNow', { version: data.version }), 'ok');
      loadTopics();
      if (state.view === 'versions') loadVersions();
      return true;
    } catch (error) {
      if (reason) throw error;
      report(error, $('#publish-result'));
      return false;
    } finally {
      state.jobBusy = false;
      state.jobDetail = null;
      await refreshStatus();
    }
  }

  function openOverride() {
    $('#override-reason').value = '';
    $('#override-error').textContent = '';
    $('#override-dialog').showModal();
    $('#override-reason').focus();
  }

  async function confirmOverride(event) {
    event.preventDefault();
    const reason = $('#override-reason').value.trim();
    if (reason.length < 5) {
      $('#override-error').textContent = t('override.short');
      return;
    }
    const confirm = $('#override-confirm');
    confirm.disabled = true;
    try {
      $('#override-dialog').close();
      await publishJob(reason);
    } catch (error) {
      if (!error.stale) {
        $('#override-dialog').showModal();
        $('#override-reason').value = reason;
        $('#override-error').textContent = error.message;
      }
    } finally {
      confirm.disabled = false;
    }
  }

  // ===================================================================== try it

  async function tryIt(event) {
    event.preventDefault();
    const text = $('#try-text').value.trim();
    const box = $('#try-result');
    if (!text) {
      box.hidden = false;
      box.replaceChildren(el('p', 'form-error', t('try.empty')));
      return;
    }
    const submit = $('#try-submit');
    submit.disabled = true;
    submit.textContent = t('try.busy');
    try {
      const data = await api('POST', '/api/editor/try', { text: text, language: $('#try-language').value });
      renderTry(data);
    } catch (error) {
      if (!error.stale) {
        state.tryResult = null;
        box.hidden = false;
        box.replaceChildren(el('p', 'form-error', error.message));
      }
    } finally {
      submit.disabled = false;
      submit.textContent = t('try.submit');
    }
  }

  function renderTry(data) {
    state.tryResult = data;
    const box = $('#try-result');
    box.replaceChildren();
    box.hidden = false;
    box.dataset.model = data.model || '';
    const facts = el('dl', 'try-facts');
    const add = function (key, value, className) {
      facts.appendChild(el('dt', '', t(key)));
      facts.appendChild(el('dd', className || '', value));
    };
    add('try.intent', data.intent || t('common.none'), 'try-intent');
    add('try.topic', data.topic ? topicTitle(data.topic) + ' (' + data.topic + ')' : t('try.noTopic'), 'try-topic');
    add('try.confidence', percent(data.confidence), 'try-confidence');
    add('try.model', word('try.model.', data.model), 'try-model');
    box.appendChild(facts);
    box.appendChild(el('h3', '', t('try.answer')));
    const answer = el('blockquote', 'try-answer', data.answer || t('try.noAnswer'));
    if (!data.answer) answer.classList.add('muted');
    box.appendChild(answer);
  }

  // ===================================================================== versions

  async function loadVersions() {
    const box = $('#versions');
    if (!state.versions) box.replaceChildren(el('p', 'muted', t('versions.loading')));
    try {
      const data = await api('GET', '/api/editor/versions');
      renderVersions(data.versions || []);
    } catch (error) {
      report(error);
    }
  }

  function renderVersions(versions) {
    state.versions = versions;
    const box = $('#versions');
    box.replaceChildren();
    if (!versions.length) {
      box.appendChild(el('p', 'muted', t('versions.empty')));
      return;
    }
    const list = el('ol', 'versions');
    versions.forEach(function (version) {
      const item = el('li', 'version');
      item.dataset.id = version.id;
      item.dataset.status = version.status;
      const head = el('div', 'version-head');
      head.appendChild(el('strong', 'version-number', t('versions.number', { id: version.id })));
      head.appendChild(el('span', 'badge badge-status-' + version.status, word('status.', version.status)));
      head.appendChild(el('span', 'muted', word('kind.', version.kind)));
      item.appendChild(head);
      item.appendChild(el('p', 'version-meta muted small', t('versions.by', { by: version.by || t('common.none'), at: when(version.at) })
        + ' · ' + t('versions.topics', { n: version.topics || 0 })
        + (version.model ? ' · ' + t('versions.model', { model: version.model }) : '')));
      if (version.note) item.appendChild(el('p', 'version-note', version.note));
      if (version.override_reason) item.appendChild(el('p', 'version-reason', t('versions.reason', { reason: version.override_reason })));
      if (version.gate && typeof version.gate.passed === 'boolean') {
        item.appendChild(el('p', 'version-gate small ' + (version.gate.passed ? 'ok' : 'not-ok'),
          t(version.gate.passed ? 'gate.passed' : 'gate.blocked')));
      }
      if (version.status === 'superseded') {
        const back = button('btn-small rollback', t('versions.rollback'), function () { rollback(version, back); });
        item.appendChild(back);
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  async function rollback(version, trigger) {
    if (!(await confirmDialog(t('rollback.title', { id: version.id }), t('rollback.text', { id: version.id }),
      t('rollback.confirm'), true))) return;
    trigger.disabled = true;
    trigger.textContent = t('rollback.busy');
    try {
      const data = await api('POST', '/api/editor/versions/' + encodeURIComponent(version.id) + '/rollback', {});
      notice(t('rollback.done', { old: version.id, version: data.version }));
      setStatusText($('#publish-result'), t('rollback.done', { old: version.id, version: data.version }), 'ok');
      await loadVersions();
      await loadTopics();
      // The drafts follow the version: an open topic without unsaved changes shows it.
      if (state.current && !isTopicDirty()) openTopic(state.current.name, { force: true, keepFocus: true });
      refreshStatus();
    } catch (error) {
      report(error);
      trigger.disabled = false;
      trigger.textContent = t('versions.rollback');
    }
  }

  // ===================================================================== the inbox

  /**
   * What shoppers could not get answered, grouped by the server (bot/studio/inbox_web.py). Until
   * the bridge offers that API (404), the section says it is coming. Asked only when the tab is
   * open, then kept fresh with the publish panel's polling.
   */
  async function loadInbox() {
    const request = ++state.inboxRequest;
    const params = new URLSearchParams({
      status: $('#inbox-status').value, sort: $('#inbox-sort').value, q: $('#inbox-search').value.trim(), limit: '100',
    });
    if (!state.inbox) $('#inbox-count').textContent = t('inbox.loading');
    try {
      const data = await api('GET', '/api/editor/inbox?' + params);
      if (request !== state.inboxRequest) return;
      setInboxAvailable(true);
      renderInbox(data);
    } catch (error) {
      if (request !== state.inboxRequest || error.stale) return;
      if (error.status === 404 || error.status === 405) setInboxAvailable(false);
      else report(error);
    }
  }

  function setInboxAvailable(available) {
    state.inboxAvailable = available;
    $('#inbox-soon').hidden = available;
    $('#inbox-body').hidden = !available;
  }

  /** The assistant's reading in words: "faq/carriers" is the FAQ topic's title. */
  function intentWords(intent) {
    if (String(intent).indexOf('faq/') === 0) return t('intent.faqTopic', { title: topicTitle(intent.slice(4)) });
    return word('intent.', intent);
  }

  function renderInboxCounts(counts) {
    $$('#inbox-status option').forEach(function (option) {
      const n = counts && typeof counts[option.value] === 'number' ? counts[option.value] : null;
      option.textContent = t('inbox.status.' + option.value) + (n === null ? '' : ' (' + n + ')');
    });
    const waiting = counts && counts.new ? counts.new : 0;
    const badge = $('#inbox-tab-count');
    badge.textContent = String(waiting);
    badge.hidden = !waiting;
  }

  function renderInbox(data) {
    state.inbox = data;
    renderInboxCounts(data.counts);
    const list = $('#inbox');
    const open = state.inboxOpen;  // {id, part} of an expanded card: kept across refreshes
    list.replaceChildren();
    const groups = data.groups || [];
    $('#inbox-count').textContent = groups.length ? t('inbox.count', { n: data.total || groups.length }) : t('inbox.empty');
    groups.forEach(function (group) { list.appendChild(inboxCard(group)); });
    if (open) {
      const card = list.querySelector('.inbox-group[data-id="' + open.id + '"]');
      if (card && open.part === 'chat') toggleChat(card, card.__group, true);
    }
  }

  function inboxCard(group) {
    const card = el('li', 'inbox-group');
    card.__group = group;
    card.dataset.id = group.id;
    card.dataset.status = group.status;
    const head = el('div', 'inbox-head');
    head.appendChild(el('p', 'inbox-text', group.text));
    const badges = el('div', 'badges');
    badges.appendChild(el('span', 'badge badge-count', t('inbox.times', { n: group.count })));
    badges.appendChild(el('span', 'badge', String(group.language || 'tr').toUpperCase()));
    head.appendChild(badges);
    card.appendChild(head);

    const facts = [];
    if (group.shopper_messages) facts.push(t('inbox.shopperMessages', { n: group.shopper_messages }));
    if (group.agent_marks) facts.push(t('inbox.agentMarks', { n: group.agent_marks }));
    if (group.conversations) facts.push(t('inbox.conversations', { n: group.conversations }));
    facts.push(t('inbox.when', { last: when(group.last_at), first: when(group.first_at) }));
    card.appendChild(el('p', 'inbox-meta muted small', facts.join(' · ')));
    const intents = (group.intents || []).map(function (entry) { return intentWords(entry.intent) + ' (' + entry.count + ')'; });
    if (intents.length || group.confidence !== null && group.confidence !== undefined) {
      let line = intents.length ? t('inbox.intents', { list: intents.join(', ') }) : '';
      if (group.confidence !== null && group.confidence !== undefined) {
        line += (line ? ' · ' : '') + t('inbox.confidence', { value: percent(group.confidence) });
      }
      card.appendChild(el('p', 'inbox-meta muted small', line));
    }

    const others = (group.examples || []).filter(function (text) { return text !== group.text; });
    if (others.length) {
      const box = el('div', 'inbox-examples');
      box.appendChild(el('h4', '', t('inbox.examples')));
      const ul = el('ul');
      others.forEach(function (text) { ul.appendChild(el('li', '', text)); });
      box.appendChild(ul);
      card.appendChild(box);
    }
    if ((group.marks || []).length) {
      const box = el('div', 'inbox-marks');
      box.appendChild(el('h4', '', t('inbox.marks')));
      const ul = el('ul');
      group.marks.forEach(function (mark) {
        const li = el('li');
        li.appendChild(el('strong', '', (mark.agent || t('sender.agent')) + ': '));
        if (mark.suggested_answer) {
          li.appendChild(document.createTextNode(t('inbox.markAnswer') + ' '));
          li.appendChild(el('q', 'inbox-suggested', mark.suggested_answer));
        } else {
          li.appendChild(el('span', 'muted', t('inbox.markNoAnswer')));
        }
        ul.appendChild(li);
      });
      box.appendChild(ul);
      card.appendChild(box);
    }
    if (group.status !== 'new') {
      card.appendChild(el('p', 'inbox-resolved', t('inbox.resolved.' + group.status, {
        topic: group.topic ? topicTitle(group.topic) : t('common.none'), by: group.resolved_by || t('common.none'),
        at: when(group.resolved_at),
      })));
    }

    const actions = el('div', 'actions inbox-actions');
    if (group.status === 'new') {
      actions.appendChild(button('btn-primary btn-small inbox-add-open', t('inbox.add'), function () { openAddForm(card, group); }));
      actions.appendChild(button('btn-small inbox-new-topic', t('inbox.newTopic'), function (event) {
        startTopicFromGroup(group, event.currentTarget);
      }));
    }
    if ((group.status === 'added' || group.status === 'new_topic') && group.topic) {
      actions.appendChild(button('btn-small', t('inbox.openTopic'), function () {
        showView('topics');
        openTopic(group.topic);
      }));
    }
    if (group.conversations) {
      const chat = button('btn-small inbox-chat-toggle', t('inbox.chat'), function () { toggleChat(card, group); });
      chat.setAttribute('aria-expanded', 'false');
      actions.appendChild(chat);
    }
    if (group.status === 'new') {
      actions.appendChild(button('btn-small btn-danger inbox-dismiss', t('inbox.dismiss'), function (event) {
        decideGroup(group, 'dismiss', event.currentTarget);
      }));
    }
    if (group.status === 'dismissed') {
      actions.appendChild(button('btn-small inbox-reopen', t('inbox.reopen'), function (event) {
        decideGroup(group, 'reopen', event.currentTarget);
      }));
    }
    card.appendChild(actions);
    return card;
  }

  /** The form that adds the group's text as a question: suggested topics first. */
  async function openAddForm(card, group) {
    const existing = card.querySelector('.inbox-add');
    if (existing) {
      existing.querySelector('select').focus();
      return;
    }
    const form = el('form', 'inbox-add');
    form.noValidate = true;
    const id = 'inbox-add-' + group.id;
    const question = el('input');
    question.id = id + '-q';
    question.value = group.text;
    question.maxLength = 300;
    const language = el('select');
    language.id = id + '-lang';
    LANGUAGES.forEach(function (code) { language.appendChild(new Option(t('lang.' + code), code)); });
    language.value = group.language === 'en' ? 'en' : 'tr';
    const topic = el('select');
    topic.id = id + '-topic';
    topic.className = 'inbox-topic';
    const error = el('p', 'form-error');
    error.setAttribute('role', 'alert');
    const labelled = function (label, control, className) {
      const wrap = el('div', 'field ' + (className || ''));
      const node = el('label', '', label);
      node.htmlFor = control.id;
      wrap.appendChild(node);
      wrap.appendChild(control);
      return wrap;
    };
    form.appendChild(labelled(t('inbox.question'), question, 'inbox-add-question'));
    const row = el('div', 'inbox-add-row');
    row.appendChild(labelled(t('inbox.topic'), topic, 'inbox-add-topic'));
    row.appendChild(labelled(t('inbox.language'), language, 'inbox-add-language'));
    form.appendChild(row);
    form.appendChild(error);
    const actions = el('div', 'actions');
    const submit = el('button', 'btn btn-primary btn-small inbox-add-confirm', t('inbox.addConfirm'));
    submit.type = 'submit';
    actions.appendChild(submit);
    actions.appendChild(button('btn-small', t('common.cancel'), function () {
      form.remove();
      card.querySelector('.inbox-add-open').focus();
    }));
    form.appendChild(actions);
    card.querySelector('.inbox-actions').insertAdjacentElement('afterend', form);
    fillTopicChoices(topic, []);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      addToTopic(card, group, { topic: topic.value, text: question.value.trim(), language: language.value }, error, submit);
    });
    topic.focus();
    try {
      const data = await api('GET', '/api/editor/inbox/' + encodeURIComponent(group.id) + '/suggestions');
      if (form.isConnected) fillTopicChoices(topic, data.suggestions || []);
    } catch (failure) {
      report(failure, error);
    }
  }

  function fillTopicChoices(select, suggestions) {
    const chosen = select.value;
    select.replaceChildren();
    if (suggestions.length) {
      const suggested = el('optgroup');
      suggested.label = t('inbox.suggested');
      suggestions.forEach(function (entry) {
        const title = titleOf({ name: entry.name, title: entry.title });
        const label = entry.source === 'assistant' ? t('inbox.suggestAssistant', { title: title, value: percent(entry.score) })
          : t('inbox.suggestWords', { title: title });
        suggested.appendChild(new Option(label, entry.name));
      });
      select.appendChild(suggested);
    } else {
      select.appendChild(new Option(t('inbox.pickTopic'), ''));
    }
    const all = el('optgroup');
    all.label = t('inbox.allTopics');
    state.topics.filter(function (topic) { return !topic.retired; }).forEach(function (topic) {
      all.appendChild(new Option(titleOf(topic), topic.name));
    });
    select.appendChild(all);
    if (chosen) select.value = chosen;
  }

  async function addToTopic(card, group, body, error, submit) {
    if (!body.topic) {
      error.textContent = t('inbox.pickTopic');
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      const data = await api('POST', '/api/editor/inbox/' + encodeURIComponent(group.id) + '/add', body);
      const title = topicTitle(body.topic);
      notice(data.added === false ? t('inbox.alreadyThere', { title: title })
        : t('inbox.added', { question: data.question || body.text, title: title }));
      state.inboxOpen = null;
      afterInboxChange(body.topic);
    } catch (failure) {
      if (!failure.stale) error.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  }

  /** A new topic pre-filled from the group (the server's draft), checked in the new-topic dialog. */
  async function startTopicFromGroup(group, trigger) {
    trigger.disabled = true;
    try {
      const data = await api('GET', '/api/editor/inbox/' + encodeURIComponent(group.id) + '/draft');
      const draft = data.draft || {};
      openNewTopic({ group: group.id, text: group.text, name: draft.name, content: draft.content || {} });
    } catch (error) {
      report(error);
    } finally {
      trigger.disabled = false;
    }
  }

  async function decideGroup(group, action, trigger) {
    trigger.disabled = true;
    try {
      await api('POST', '/api/editor/inbox/' + encodeURIComponent(group.id) + '/' + action, {});
      notice(t(action === 'dismiss' ? 'inbox.dismissed' : 'inbox.reopened'));
      state.inboxOpen = null;
      loadInbox();
    } catch (error) {
      report(error);
      trigger.disabled = false;
    }
  }

  function afterInboxChange(topicName) {
    loadInbox();
    loadTopics();
    refreshStatus();
    // An open topic without unsaved changes shows the new question.
    if (topicName && state.current && state.current.name === topicName && !isTopicDirty()) {
      openTopic(topicName, { force: true, keepFocus: true });
    }
  }

  /** The conversation around the group's newest message, inside the card. */
  async function toggleChat(card, group, reopen) {
    const toggle = card.querySelector('.inbox-chat-toggle');
    const shown = card.querySelector('.inbox-chat');
    if (shown && !reopen) {
      shown.remove();
      toggle.textContent = t('inbox.chat');
      toggle.setAttribute('aria-expanded', 'false');
      state.inboxOpen = null;
      return;
    }
    if (shown) shown.remove();
    const box = el('div', 'inbox-chat');
    box.appendChild(el('p', 'muted', t('inbox.chatLoading')));
    card.appendChild(box);
    if (toggle) {
      toggle.textContent = t('inbox.chatHide');
      toggle.setAttribute('aria-expanded', 'true');
    }
    state.inboxOpen = { id: String(group.id), part: 'chat' };
    try {
      const data = await api('GET', '/api/editor/inbox/' + encodeURIComponent(group.id) + '/messages');
      box.replaceChildren();
      box.appendChild(el('h4', '', t('inbox.chatTitle', { id: String(data.conversation_id || '').slice(0, 8) })));
      if (data.earlier) box.appendChild(el('p', 'muted small', t('inbox.earlier')));
      const list = el('ol', 'chat-lines');
      (data.messages || []).forEach(function (message) {
        const line = el('li', 'chat-line');
        line.dataset.sender = message.sender;
        if (message.marked) line.classList.add('marked');
        const who = message.sender === 'agent' && message.agent_name ? message.agent_name : word('sender.', message.sender);
        const head = el('span', 'chat-who', who + ' · ' + when(message.time) + (message.marked ? ' · ' + t('inbox.marked') : ''));
        line.appendChild(head);
        line.appendChild(el('span', 'chat-text', message.text));
        list.appendChild(line);
      });
      box.appendChild(list);
      if (data.later) box.appendChild(el('p', 'muted small', t('inbox.later')));
    } catch (error) {
      box.replaceChildren(el('p', 'form-error', error.message));
    }
  }

  // ===================================================================== session

  async function startSession(token, user) {
    state.token = token;
    state.user = user || null;
    const epoch = ++state.epoch;
    let status;
    try {
      status = await api('GET', '/api/editor/status');
    } catch (error) {
      if (error.stale || epoch !== state.epoch) return;
      // An agent (or anyone the studio is not for): the server's words and a link to their page.
      if (error.status === 403) {
        Login.logout(token); // not an editor: this login is of no use here
        endSession(error.message, user);
      } else {
        endSession(error.message);
      }
      return;
    }
    Login.showApp(user);
    state.lastPendingKey = '';
    renderStatus(status);
    await loadTopics();
    renderStatus(status);
    state.statusTimer = setInterval(refreshStatus, STATUS_EVERY_MS);
    state.inboxTimer = setInterval(function () {
      if (state.inboxAvailable && !document.hidden && !state.inboxOpen && !document.querySelector('.inbox-add')) loadInbox();
    }, INBOX_EVERY_MS);
    showView(state.view);
  }

  /** Back to the login form: forget the token and everything shown. */
  function endSession(message, wrongPageUser) {
    state.epoch++;
    clearInterval(state.statusTimer);
    clearInterval(state.inboxTimer);
    session.clear();
    $$('dialog').forEach(function (dialog) { if (dialog.open) dialog.close(); });
    Object.assign(state, {
      token: null, user: null, topics: [], current: null, savedKey: '', conflict: null, saving: false,
      desk: null, deskSavedKey: '', deskConflict: null, deskLoaded: false, status: null, statusBusy: false,
      statusTimer: 0, lastPendingKey: '', jobDetail: null, jobDetailLoading: '', jobBusy: false, hiddenJob: '', publishing: false,
      versions: null, tryResult: null, query: '', newTopicSource: null, inbox: null, inboxAvailable: null,
      inboxOpen: null, inboxTimer: 0,
    });
    ['#topic-list', '#topic-history', '#desk-responses', '#desk-tags', '#versions', '#pending-list',
      '#try-result', '#job-outcome', '#inbox'].forEach(function (id) { $(id).replaceChildren(); });
    $('#inbox-tab-count').hidden = true;
    FIELDS.forEach(function (field) { $(field.input).value = ''; });
    $('#topic-search').value = '';
    $('#topic-editor').hidden = true;
    $('#topic-empty').hidden = false;
    $('#topic-conflict').hidden = true;
    $('#desk-conflict').hidden = true;
    $('#try-result').hidden = true;
    $('#job').hidden = true;
    $('#view-topics').classList.remove('editing');
    ['#topic-status', '#desk-status', '#publish-result'].forEach(function (id) { setStatusText($(id), '', ''); });
    $('#me-name').textContent = '';
    document.title = t('app.title');
    if (wrongPageUser) Login.showWrongPage(message, wrongPageUser, t);
    else Login.showForm(message);
  }

  // ===================================================================== wiring

  function bindEvents() {
    Login.bindForm({ session: session, text: t, onSuccess: startSession });
    $$('.lang-toggle').forEach(function (node) { node.addEventListener('click', toggleLanguage); });
    $('#logout').addEventListener('click', async function () {
      if ((isTopicDirty() || isDeskDirty()) && !(await confirmDialog(t('topic.discardTitle'),
        t('topic.discardText', { title: state.current ? topicTitle(state.current.name) : t('nav.desk') }),
        t('topic.discardOk'), true))) return;
      Login.logout(state.token);
      endSession('');
    });
    $$('.tab[data-view]').forEach(function (tab) {
      tab.addEventListener('click', function () { showView(tab.dataset.view); });
    });

    $('#topic-search').addEventListener('input', onSearchInput);
    $('#topic-new').addEventListener('click', function () { openNewTopic(null); });
    $('#topic-back').addEventListener('click', function () {
      $('#view-topics').classList.remove('editing');
      const item = state.current && $('#topic-list .topic-item[aria-current="true"]');
      if (item) item.focus();
    });
    $('#topic-form').addEventListener('submit', saveTopic);
    $('#topic-form').addEventListener('input', updateCounters);
    $('#topic-retire').addEventListener('click', function () { retireOrRestore('retire'); });
    $('#topic-restore').addEventListener('click', function () { retireOrRestore('restore'); });
    $('#topic-tab-edit').addEventListener('click', function () { showTopicTab('edit'); });
    $('#topic-tab-history').addEventListener('click', function () { showTopicTab('history'); });
    $('#topic-conflict .conflict-keep').addEventListener('click', function () { saveTopic(); });
    $('#topic-conflict .conflict-take').addEventListener('click', takeTheirsTopic);
    $('#topic-heading').tabIndex = -1;

    $('#new-topic-form').addEventListener('submit', createTopic);
    $('#new-topic-cancel').addEventListener('click', function () { $('#new-topic-dialog').close(); });
    $('#new-topic-tr').addEventListener('input', suggestName);
    $('#new-topic-en').addEventListener('input', suggestName);
    $('#new-topic-name').addEventListener('input', function () { state.newTopicNameTouched = true; });

    $('#desk-form').addEventListener('submit', saveDesk);
    $('#desk-add-response').addEventListener('click', function () {
      const item = deskItem('responses', null);
      $('#desk-responses').appendChild(item);
      item.querySelector('input').focus();
    });
    $('#desk-add-tag').addEventListener('click', function () {
      const item = deskItem('tags', null);
      $('#desk-tags').appendChild(item);
      item.querySelector('input').focus();
    });
    $('#desk-conflict .conflict-keep').addEventListener('click', function () { saveDesk(); });
    $('#desk-conflict .conflict-take').addEventListener('click', takeTheirsDesk);

    $('#publish-form').addEventListener('submit', publish);
    $('#job-publish').addEventListener('click', function () { publishJob(null); });
    $('#job-override').addEventListener('click', openOverride);
    $('#job-hide').addEventListener('click', function () {
      const job = state.status && state.status.job;
      if (job) state.hiddenJob = job.id + ':' + job.status;
      $('#job').hidden = true;
    });
    $('#override-form').addEventListener('submit', confirmOverride);
    $('#override-cancel').addEventListener('click', function () { $('#override-dialog').close(); });

    $('#inbox-tools').addEventListener('submit', function (event) { event.preventDefault(); });
    $('#inbox-status').addEventListener('change', function () { state.inboxOpen = null; loadInbox(); });
    $('#inbox-sort').addEventListener('change', loadInbox);
    $('#inbox-search').addEventListener('input', function () {
      clearTimeout(state.inboxSearchTimer);
      state.inboxSearchTimer = setTimeout(loadInbox, SEARCH_DELAY_MS);
    });

    $('#try-form').addEventListener('submit', tryIt);
    $('#try-text').addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $('#try-form').requestSubmit();
      }
    });

    Staff.askBeforeLeaving(function () { return state.token && (isTopicDirty() || isDeskDirty()); });
  }

  async function init() {
    await i18n.ready();  // the words before anything is shown
    Login.renderForm(t, { languageToggle: true });
    i18n.apply();
    bindEvents();
    // An expired token goes to the login form without a refused request first.
    const resumed = Login.resume(session, startSession, function () { endSession(t('login.expired')); });
    if (!resumed) Login.showForm('');
  }

  init();
})();
