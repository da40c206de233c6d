/*
 * Kuzey Destek — the manager's dashboard (/manager).
 *
 * One page, no framework, no build step (ES2019), like the agent console. Logs in with
 * POST /api/login (widget/shared/login.js, shared with the console), then reads GET /api/reports (JSON) and GET /api/reports.csv with the token;
 * the charts are Chart.js configs made by the server (bot/reports/charts.py), the same as in
 * the HTML report. Every text from the server goes in with textContent, never innerHTML.
 * The DOM helpers and the toast: widget/shared/staff.js.
 *
 * Turkish or English: the manager's choice (the TR/EN switch on the login form and in the top bar,
 * kept in localStorage under `kuzey.manager.lang`), by default the browser's language. The page's
 * own words are the text catalogue's domain `manager`, loaded before anything is shown
 * (widget/shared/texts.js); the report's words (charts, summary, names of codes, the period, the
 * CSV and the errors) the server says in the language the page asks for (`lang`).
 */
(function () {
  'use strict';

  // ===================================================================== UI texts

  const Staff = window.KuzeyStaff;
  const LANGUAGES = window.KuzeyTexts.LANGUAGES;
  const Words = window.KuzeyTexts.words('manager', 'kuzey.manager.lang');
  /** A UI text with {placeholders} filled in. */
  const t = Words.t;

  // The cards: [key in TOTALS, its label's key, format, count shown beside it, which way is better].
  const KPIS = [
    ['contacts', 'kpi.contacts', 'count', null, null],
    ['containment_rate', 'kpi.containment_rate', 'rate', 'contained', 'up'],
    ['handoff_rate', 'kpi.handoff_rate', 'rate', 'handoffs', 'down'],
    ['fallback_rate', 'kpi.fallback_rate', 'rate', 'not_understood', 'down'],
    ['queue_seconds', 'kpi.queue_seconds', 'seconds', null, 'down'],
    ['first_response_seconds', 'kpi.first_response_seconds', 'seconds', null, 'down'],
    ['handling_seconds', 'kpi.handling_seconds', 'seconds', null, null],
    ['csat_mean', 'kpi.csat_mean', 'score', 'csat_count', 'up'],
    ['nps', 'kpi.nps', 'nps', 'nps_count', 'up'],
    ['repeat_rate', 'kpi.repeat_rate', 'rate', 'repeat_contacts', 'down'],
  ];
  // The tickets' cards (report.tickets.totals); times in support hours.
  const TICKET_KPIS = [
    ['opened', 'ticketKpi.opened', 'count', null, null],
    ['resolved', 'ticketKpi.resolved', 'count', null, null],
    ['sla_met_rate', 'ticketKpi.slaMet', 'rate', 'sla_met', 'up'],
    ['first_response_median_seconds', 'ticketKpi.firstResponse', 'seconds', null, 'down'],
    ['resolution_median_seconds', 'ticketKpi.resolution', 'seconds', null, 'down'],
    ['backlog', 'ticketKpi.backlog', 'count', null, 'down'],
  ];

  // The login, the token in sessionStorage and its expiry: widget/shared/login.js.
  const Login = window.KuzeyLogin;
  const session = Login.session('kuzey.manager');
  const readJson = Login.readJson;
  const ZONE = 'Europe/Istanbul';
  // Charts the page leaves out because a table below shows the same, with its exact numbers
  // (the HTML report, which has no such tables, keeps them).
  const CHARTS_SHOWN_AS_TABLES = ['resolution_tags'];

  const state = { token: null, user: null, charts: [], requestNo: 0 };

  // ===================================================================== helpers

  const { $, el } = Staff;
  const toast = Staff.flash('#toast', 6000);

  /** The failure of a fetch, with the server's own words (in the page's language) when it sent some. */
  function failure(data, fallbackKey, status) {
    const message = Staff.serverWords(data) || t(fallbackKey);
    return Object.assign(new Error(message), { status: status });
  }

  /** Fills the static page from the texts: data-i18n (text), -aria-label, -title; the language switches. */
  function applyStaticTexts() {
    document.documentElement.lang = Words.lang();
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
    document.querySelectorAll('.lang-switch button[data-lang]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === Words.lang()));
    });
  }

  // ===================================================================== number formats of the page's language

  function locale() {
    return Words.lang() === 'en' ? 'en-GB' : 'tr-TR';
  }

  function number(value, digits) {
    if (value === null || value === undefined) return '—';
    return new Intl.NumberFormat(locale(), {
      minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0,
    }).format(value);
  }

  function percent(rate, digits) {
    if (rate === null || rate === undefined) return '—';
    return t('format.percent', { value: number(rate * 100, digits === undefined ? 1 : digits) });
  }

  /** A wait that may last days: under two days as `duration`, else "3 gün 13 sa" ("3 d 13 h"). */
  function age(seconds) {
    if (seconds === null || seconds === undefined || seconds < 48 * 3600) return duration(seconds);
    const hours = Math.round(seconds / 3600);
    const d = Math.floor(hours / 24);
    const h = hours % 24;
    return h ? t('duration.dh', { d: d, h: h }) : t('duration.d', { d: d });
  }

  /** 95 → "1 dk 35 sn" ("1 min 35 s"); 3700 → "1 sa 1 dk" ("1 h 1 min"). */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    let s = Math.round(seconds);
    if (s < 60) return t('duration.s', { s: s });
    let m = Math.floor(s / 60);
    s %= 60;
    if (m < 60) return s ? t('duration.ms', { m: m, s: s }) : t('duration.m', { m: m });
    const h = Math.floor(m / 60);
    m %= 60;
    return m ? t('duration.hm', { h: h, m: m }) : t('duration.h', { h: h });
  }

  function signed(value, digits) {
    if (Number(value.toFixed(digits)) === 0) return number(0, digits);
    return (value > 0 ? '+' : '−') + number(Math.abs(value), digits);
  }

  function kpiValue(totals, key, format, countKey) {
    const value = totals[key];
    let text;
    if (format === 'rate') text = percent(value);
    else if (format === 'seconds') text = duration(value);
    else if (format === 'score') text = number(value, 2);
    else if (format === 'nps') text = value === null || value === undefined ? '—' : signed(value, 0);
    else text = number(value);
    return { main: text, count: countKey && value !== null && value !== undefined ? number(totals[countKey]) : '' };
  }

  /** "+3,2 puan" ("+3.2 points") etc. and whether it is better, worse or the same. */
  function change(now, before, format, better) {
    if (now === null || now === undefined || before === null || before === undefined) {
      return { text: '—', direction: 'same', sign: '' };
    }
    const delta = now - before;
    let text;
    if (format === 'rate') text = t('kpi.points', { value: signed(delta * 100, 1) });
    else if (format === 'seconds') text = (delta > 0 ? '+' : delta < 0 ? '−' : '') + duration(Math.abs(delta));
    else if (format === 'score') text = signed(delta, 2);
    else text = signed(delta, format === 'count' ? 0 : 1);
    if (Math.abs(delta) < 1e-9) return { text: t('kpi.noChange'), direction: 'same', sign: '' };
    // The arrow shows which way the figure moved; the colour whether that is good.
    const sign = delta > 0 ? 'up' : 'down';
    if (!better) return { text: text, direction: 'same', sign: sign };
    return { text: text, direction: (delta > 0) === (better === 'up') ? 'better' : 'worse', sign: sign };
  }

  function todayInIstanbul() {
    // en-CA formats as YYYY-MM-DD, the value a date input takes.
    return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());
  }

  // ===================================================================== API

  function filterParams() {
    const params = new URLSearchParams();
    params.set('period', $('#f-period').value);
    if ($('#f-date').value) params.set('date', $('#f-date').value);
    if ($('#f-agent').value) params.set('agent', $('#f-agent').value);
    if ($('#f-language').value) params.set('language', $('#f-language').value);
    // What the server words (charts, summary, names, errors, the CSV) is in the page's language.
    params.set('lang', Words.lang());
    return params;
  }

  /** A fetch with the token; a refused token (401) or a non-admin (403) ends the session, in the page's words. */
  async function authorizedFetch(url) {
    const response = await fetch(url, { headers: { Authorization: 'Bearer ' + state.token } });
    if (response.status === 401 || response.status === 403) {
      if (response.status === 403) Login.logout(state.token); // no longer an admin: this login is of no use here
      endSession(t(response.status === 401 ? 'login.expired' : 'login.wrongRole'));
      return null;
    }
    return response;
  }

  async function loadReport() {
    const requestNo = ++state.requestNo;
    $('#status').textContent = t('load.busy');
    $('#app-view').setAttribute('aria-busy', 'true');
    try {
      const response = await authorizedFetch('/api/reports?' + filterParams());
      if (!response || requestNo !== state.requestNo) return;  // session over, or a newer filter won
      const data = await readJson(response);
      if (!response.ok || !data || !data.report) throw failure(data, 'load.failed', response.status);
      render(data);
      $('#status').textContent = t('load.done', {
        time: new Date().toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }),
      });
    } catch (error) {
      if (requestNo !== state.requestNo) return;
      $('#status').textContent = '';
      toast(error.status ? error.message : t('load.failed'));
    } finally {
      if (requestNo === state.requestNo) $('#app-view').removeAttribute('aria-busy');
    }
  }

  async function downloadCsv() {
    const button = $('#csv');
    const params = filterParams();
    params.set('group', $('#f-group').value);
    // The file is in the page's language (filterParams): Turkish Excel wants ";" and decimal commas,
    // English "," and dots.
    button.disabled = true;
    button.textContent = t('csv.busy');
    try {
      const response = await authorizedFetch('/api/reports.csv?' + params);
      if (!response) return;
      if (!response.ok) throw failure(await readJson(response), 'csv.failed', response.status);
      const blob = await response.blob();
      const match = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
      const url = URL.createObjectURL(blob);
      const link = el('a');
      link.href = url;
      link.download = match ? match[1] : 'kuzey-rapor.csv';
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    } catch (error) {
      toast(error.status ? error.message : t('csv.failed'));
    } finally {
      button.disabled = false;
      button.textContent = t('csv.download');
    }
  }

  // ===================================================================== rendering

  function render(data) {
    const report = data.report;
    const labels = data.labels || {};
    // The period as the reader names it (the server's labels in the page's language).
    const period = labels.period || report.period.label;
    $('#period-title').textContent = t('kind.' + report.period.kind) + ' · ' + period;
    $('#period-sub').textContent = t('period.previous', { label: labels.previous || report.previous.label });
    document.title = t('app.titleWithPeriod', { period: period });
    renderOptions(data);
    renderSummary(data.summary || []);
    renderKpis($('#kpis'), KPIS, report.totals, report.previous_totals, kpiExtra);
    renderCharts((data.charts || []).filter(function (chart) {
      return CHARTS_SHOWN_AS_TABLES.indexOf(chart.id) === -1;
    }));
    renderNotUnderstood(report.not_understood);
    renderTable('#tags', ['col.tag', 'col.count'], report.resolution_tags.map(function (row) {
      return [(labels.tags || {})[row.tag] || row.tag, number(row.count)];
    }));
    renderTable('#languages', ['col.language', 'col.contacts', 'col.contained', 'col.handedOff', 'col.queuedTicket',
      'col.afterHoursTicket', 'col.notUnderstood', 'col.csat'],
      report.languages.map(function (row) {
        return [(labels.languages || {})[row.language] || row.language, number(row.contacts),
          percent(row.containment_rate), percent(row.handoff_rate), number(row.queued_then_ticketed),
          number(row.after_hours_tickets), percent(row.fallback_rate), number(row.csat_mean, 2)];
      }));
    renderTable('#agents', ['col.agent', 'col.handoffs', 'col.queue', 'col.firstResponse', 'col.handling', 'col.csat'],
      report.agents.map(function (row) {
        return [row.name, number(row.handoffs), duration(row.queue_seconds), duration(row.first_response_seconds),
          duration(row.handling_seconds), number(row.csat_mean, 2)];
      }));
    renderTickets(report.tickets, labels);
    renderSegments(report.segments || [], labels);
  }

  /** The chats by customer segment: CSAT with its answers, the share an agent took, the top reasons. */
  function renderSegments(segments, labels) {
    const names = labels.segments || {};
    const reasons = labels.contact_reasons || {};
    const any = segments.some(function (row) { return row.contacts > 0; });
    renderTable('#segments', ['col.segment', 'col.contacts', 'col.csat', 'col.handedOff', 'col.topReasons'],
      any ? segments.map(function (row) {
        const csat = row.csat_mean === null ? '—' : number(row.csat_mean, 2) + ' (' + number(row.csat_responses) + ')';
        const top = row.top_reasons.map(function (item) {
          return (reasons[item.reason] || item.reason) + ' (' + number(item.contacts) + ')';
        }).join(' · ');
        return [names[row.segment] || row.segment, number(row.contacts), csat, percent(row.handoff_rate), top || '—'];
      }) : []);
  }

  /** The tickets: cards against the period before, then by category, by channel and source, by owner. */
  function renderTickets(tickets, labels) {
    renderKpis($('#ticket-kpis'), TICKET_KPIS, tickets.totals, tickets.previous_totals, ticketExtra);
    const categories = labels.ticket_categories || {};
    renderTable('#ticket-categories', ['col.category', 'col.opened', 'col.previousOpened', 'col.resolved', 'col.slaMet',
      'col.ticketFirstResponse', 'col.ticketResolution', 'col.backlog'],
      tickets.categories.map(function (row) {
        return [categories[row.category] || row.category, number(row.opened), number(row.previous_opened),
          number(row.resolved), percent(row.sla_met_rate), duration(row.first_response_median_seconds),
          duration(row.resolution_median_seconds), number(row.backlog)];
      }));
    const channels = labels.ticket_channels || {};
    const sources = labels.ticket_sources || {};
    const ways = tickets.channels.map(function (row) { return [channels[row.channel] || row.channel, row]; })
      .concat(tickets.sources.map(function (row) { return [sources[row.source] || row.source, row]; }));
    renderTable('#ticket-channels', ['col.channelSource', 'col.opened', 'col.resolved', 'col.slaMet'],
      ways.map(function (pair) {
        return [pair[0], number(pair[1].opened), number(pair[1].resolved), percent(pair[1].sla_met_rate)];
      }));
    renderTable('#ticket-agents', ['col.agent', 'col.resolved', 'col.ticketFirstResponse', 'col.slaMet', 'col.rating',
      'col.backlog'],
      tickets.agents.map(function (row) {
        return [row.name, number(row.resolved), duration(row.first_response_median_seconds), percent(row.sla_met_rate),
          number(row.rating_mean, 2), number(row.backlog)];
      }));
  }

  /** Under the "handed to an agent" card: the chats sent to people that no agent took. */
  function kpiExtra(key, totals) {
    if (key !== 'handoff_rate') return '';
    return t('kpi.handoffSplit', { queued: number(totals.queued_then_ticketed), afterHours: number(totals.after_hours_tickets),
      left: number(totals.left_queue) });
  }

  /** Under the backlog card: how long the oldest open ticket has waited (calendar time). */
  function ticketExtra(key, totals) {
    if (key !== 'backlog' || !totals.backlog) return '';
    return t('ticketKpi.oldest', { value: age(totals.backlog_oldest_seconds) });
  }

  /** Agents and languages to filter by; the current choice stays selected. */
  function renderOptions(data) {
    fillSelect($('#f-agent'), 'filters.allAgents', (data.agents || []).map(function (agent) {
      return [String(agent.id), agent.name];
    }));
    const names = (data.labels || {}).languages || {};
    fillSelect($('#f-language'), 'filters.allLanguages', (data.languages || []).map(function (code) {
      return [code, names[code] || code];
    }));
  }

  function fillSelect(select, allKey, options) {
    const chosen = select.value;
    const all = new Option(t(allKey), '');
    all.setAttribute('data-i18n', allKey);
    select.replaceChildren(all);
    options.forEach(function (pair) { select.appendChild(new Option(pair[1], pair[0])); });
    select.value = options.some(function (pair) { return pair[0] === chosen; }) ? chosen : '';
  }

  function renderSummary(lines) {
    const list = $('#summary');
    list.replaceChildren();
    (lines.length ? lines : [t('summary.empty')]).forEach(function (line) { list.appendChild(el('li', '', line)); });
  }

  /** Cards of `kpis` in `box`: the value, the change since the period before, the value before, and
   * what `extra(key, now)` adds under it. */
  function renderKpis(box, kpis, now, before, extra) {
    box.replaceChildren();
    kpis.forEach(function (kpi) {
      const [key, label, format, countKey, better] = kpi;
      const value = kpiValue(now, key, format, countKey);
      const previous = kpiValue(before, key, format, countKey);
      const delta = change(now[key], before[key], format, better);
      const card = el('article', 'kpi');
      card.dataset.key = key;
      card.appendChild(el('h3', 'kpi-label', t(label)));
      const line = el('p', 'kpi-value', value.main);
      if (value.count) line.appendChild(el('span', 'kpi-count', ' (' + value.count + ')'));
      card.appendChild(line);
      const changeLine = el('p', ('kpi-change ' + delta.direction + ' ' + delta.sign).trim(), delta.text);
      if (delta.direction !== 'same') {
        changeLine.appendChild(el('span', 'visually-hidden', ' (' + t('kpi.' + delta.direction) + ')'));
      }
      card.appendChild(changeLine);
      card.appendChild(el('p', 'kpi-previous muted', t('kpi.previous', { value: previous.main })));
      const more = extra(key, now);
      if (more) card.appendChild(el('p', 'kpi-extra muted', more));
      box.appendChild(card);
    });
  }

  function renderCharts(charts) {
    state.charts.forEach(function (chart) { chart.destroy(); });
    state.charts = [];
    const box = $('#charts');
    box.replaceChildren();
    const haveLibrary = typeof window.Chart === 'function';
    if (!haveLibrary) box.appendChild(el('p', 'muted', t('chart.noLibrary')));
    charts.forEach(function (chart) {
      const figure = el('figure', 'chart-card');
      figure.dataset.chart = chart.id;
      figure.appendChild(el('h3', '', chart.title));
      if (chart.empty || !haveLibrary) {
        figure.appendChild(el('p', 'muted chart-empty', chart.summary));
      } else {
        const holder = el('div', 'canvas-box');
        const canvas = el('canvas');
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', chart.title + ': ' + chart.summary);
        holder.appendChild(canvas);
        figure.appendChild(holder);
        figure.appendChild(el('figcaption', 'muted', chart.summary));
      }
      box.appendChild(figure);
      const canvas = figure.querySelector('canvas');
      if (canvas) state.charts.push(new window.Chart(canvas, chart.config));
    });
  }

  function renderNotUnderstood(groups) {
    renderTable('#not-understood', ['col.message', 'col.count', 'col.examples'], groups.map(function (group) {
      return [group.text, number(group.count), (group.examples || []).join(' · ')];
    }));
  }

  /** A table under `selector`: `headers` are the keys of the column headers; its cells are plain text. */
  function renderTable(selector, headers, rows) {
    const box = $(selector);
    box.replaceChildren();
    if (!rows.length) {
      box.appendChild(el('p', 'muted', t('table.empty')));
      return;
    }
    const table = el('table');
    const headRow = el('tr');
    headers.forEach(function (header) {
      const th = el('th', '', t(header));
      th.scope = 'col';
      headRow.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(headRow);
    const body = el('tbody');
    rows.forEach(function (row) {
      const tr = el('tr');
      row.forEach(function (cell) { tr.appendChild(el('td', '', cell)); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  // ===================================================================== session

  function startSession(token, user) {
    state.token = token;
    state.user = user || null;
    Login.showApp(user);
    if (!$('#f-date').value) $('#f-date').value = todayInIstanbul();
    loadReport();
  }

  /** Back to the login form: forget the token and what was shown. */
  function endSession(message) {
    state.requestNo++;
    state.token = null;
    state.user = null;
    session.clear();
    state.charts.forEach(function (chart) { chart.destroy(); });
    state.charts = [];
    ['#summary', '#kpis', '#charts', '#not-understood', '#tags', '#languages', '#agents', '#ticket-kpis',
      '#ticket-categories', '#ticket-channels', '#ticket-agents', '#segments'].forEach(function (id) {
      $(id).replaceChildren();
    });
    Login.showForm(message);
  }

  // ===================================================================== language

  /** The TR/EN switch the shared login form does not have, under its submit button. */
  function addLoginLanguageSwitch() {
    const group = el('div', 'lang-switch lang-switch-login');
    group.setAttribute('role', 'group');
    group.setAttribute('data-i18n-aria-label', 'app.language');
    LANGUAGES.forEach(function (language) {
      const button = el('button', 'btn btn-small', language.toUpperCase());
      button.type = 'button';
      button.setAttribute('data-lang', language);
      button.setAttribute('lang', language);
      button.setAttribute('data-i18n-title', 'langName.' + language);
      group.appendChild(button);
    });
    $('#login-form').appendChild(group);
  }

  /** Switches the page's language (its table is loaded first), remembers it and words everything again. */
  async function setLanguage(language) {
    const before = Words.lang();
    await Words.choose(language);
    if (Words.lang() === before) return;
    applyStaticTexts();
    if (state.token) loadReport();  // the server words the report in the new language
  }

  async function init() {
    await Words.use(Words.lang());  // the words before anything is shown
    Login.renderForm(t, { home: false });
    addLoginLanguageSwitch();
    applyStaticTexts();
    Login.bindForm({ session: session, text: t, onSuccess: startSession, roles: ['admin'] });
    document.querySelectorAll('.lang-switch button[data-lang]').forEach(function (button) {
      button.addEventListener('click', function () { setLanguage(button.getAttribute('data-lang')); });
    });
    $('#logout').addEventListener('click', function () {
      Login.logout(state.token);
      endSession('');
    });
    $('#filters').addEventListener('submit', function (event) { event.preventDefault(); });
    ['#f-period', '#f-date', '#f-agent', '#f-language'].forEach(function (id) {
      $(id).addEventListener('change', function () { if (state.token) loadReport(); });
    });
    $('#csv').addEventListener('click', downloadCsv);

    const resumed = Login.resume(session, startSession, function () { endSession(t('login.expired')); });
    if (!resumed) Login.showForm('');
  }

  init();
})();
