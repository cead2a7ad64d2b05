import { createHash } from 'node:crypto';

/**
 * The viewer's stylesheet and script, served by the same process (machines may be
 * offline: no CDN, no fonts, no libraries). The script is plain ES2020 for the browser;
 * it only ever inserts HTML the server rendered and escaped, and the page's CSP allows no
 * inline script at all.
 */

export const VIEWER_CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #fbfbfa; --fg: #1f2328; --dim: #6a737d; --line: #e3e5e8; --panel: #f3f4f6;
  --user: #2563eb; --assistant: #7c3aed; --tool: #0f766e; --err: #c62828; --ok: #2e7d32;
  --mark-bg: #ffd54f; --mark-fg: #3e2700; --hit: #fff59d; --link: #1d4ed8; --code: #f0f1f3;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --fg: #e6e8eb; --dim: #8b949e; --line: #2b3037; --panel: #181c21;
    --user: #6ea8fe; --assistant: #b39ddb; --tool: #4dd0c0; --err: #ff8a80; --ok: #81c784;
    --mark-bg: #ff9800; --mark-fg: #1a1000; --hit: #6b5d00; --link: #8ab4f8; --code: #1c2026;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
pre, code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { margin: 4px 0; padding: 6px 8px; background: var(--code); border-radius: 4px; white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere; max-height: 32em; overflow: auto; }
code { background: var(--code); padding: 0 3px; border-radius: 3px; }
pre code { background: none; padding: 0; }
.dim { color: var(--dim); }
.topbar { display: flex; align-items: center; gap: 12px; padding: 6px 16px; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; letter-spacing: .02em; color: var(--fg); }
.topbar form.search { flex: 1; display: flex; gap: 6px; max-width: 560px; }
.topbar .who { margin-left: auto; color: var(--dim); display: flex; gap: 8px; align-items: center; }
input[type=search], input[type=password], input[type=text] { flex: 1; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); font: inherit; }
button { padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); font: inherit; cursor: pointer; }
button:hover { border-color: var(--dim); }
.wrap { padding: 12px 16px 48px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 18px; margin: 4px 0 6px; }
h1 .count { font-size: 13px; font-weight: 400; }
.notice { padding: 6px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); margin: 8px 0; }
.error-text { color: var(--err); }
table.sessions { width: 100%; border-collapse: collapse; }
table.sessions th { text-align: left; font-weight: 600; color: var(--dim); border-bottom: 1px solid var(--line); padding: 4px 6px; white-space: nowrap; font-size: 12px; }
table.sessions td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: top; }
table.sessions td.num, table.sessions th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.sessions td.when { white-space: nowrap; color: var(--dim); font-size: 12.5px; }
table.sessions tr:hover td { background: var(--panel); }
.title-cell a { color: var(--fg); font-weight: 500; }
.snippet { color: var(--dim); font-size: 12.5px; margin-top: 2px; }
mark.hit { background: var(--hit); color: inherit; padding: 0 1px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; border: 1px solid var(--line); font-size: 11.5px; color: var(--dim); white-space: nowrap; }
.pager { margin: 10px 0; display: flex; gap: 12px; }
.login { max-width: 420px; margin: 12vh auto; padding: 20px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
.login form { display: flex; gap: 8px; margin-top: 10px; }
.meta-grid { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--dim); font-size: 12.5px; margin-bottom: 8px; }
.meta-grid b { color: var(--fg); font-weight: 500; }
table.files { border-collapse: collapse; font-size: 12.5px; margin: 4px 0 10px; }
table.files td, table.files th { padding: 2px 8px 2px 0; text-align: left; }
table.files th { color: var(--dim); font-weight: 600; }
table.files tr.current td:first-child a { font-weight: 700; }
.controls { display: flex; gap: 14px; align-items: center; font-size: 12.5px; color: var(--dim); margin: 6px 0 10px; flex-wrap: wrap; }
#live-status::before { content: "●"; margin-right: 4px; color: var(--dim); }
#live-status.on::before { color: var(--ok); }
#live-status.off::before { color: var(--err); }
.transcript { border-top: 1px solid var(--line); }
.transcript > section { border-bottom: 1px solid var(--line); padding: 6px 0 6px 10px; position: relative; }
.transcript > section > header { display: flex; gap: 8px; align-items: baseline; font-size: 12px; color: var(--dim); }
.transcript > section > header .role { font-weight: 700; text-transform: uppercase; letter-spacing: .04em; font-size: 11px; }
.transcript > section > header time { margin-left: auto; padding-right: 6px; }
.ln { color: var(--dim); font-size: 11px; min-width: 2.5em; display: inline-block; text-align: right; font-variant-numeric: tabular-nums; }
.turn.user { border-left: 3px solid var(--user); }
.turn.user > header .role { color: var(--user); }
.turn.assistant { border-left: 3px solid var(--assistant); }
.turn.assistant > header .role { color: var(--assistant); }
.turn.results { border-left: 3px solid var(--tool); }
.turn.api-error { border-left-color: var(--err); }
.model { font-family: ui-monospace, monospace; font-size: 11px; }
.body { padding-left: calc(2.5em + 8px); }
.md p { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.md h3, .md h4, .md h5, .md h6 { margin: 8px 0 4px; font-size: 14px; }
.md ul, .md ol { margin: 4px 0; padding-left: 22px; }
.md li.d1 { margin-left: 16px; } .md li.d2 { margin-left: 32px; } .md li.d3 { margin-left: 48px; }
.md blockquote { margin: 4px 0; padding-left: 10px; border-left: 3px solid var(--line); color: var(--dim); white-space: pre-wrap; }
.md table.md { border-collapse: collapse; margin: 4px 0; }
.md table.md td, .md table.md th { border: 1px solid var(--line); padding: 2px 6px; }
pre.code { position: relative; }
pre.code .lang { position: absolute; right: 6px; top: 2px; font-size: 10.5px; color: var(--dim); }
details > summary { cursor: pointer; list-style-position: outside; }
details.thinking > summary { color: var(--dim); font-style: italic; }
details.thinking { margin: 4px 0; }
.thinking .md { color: var(--dim); font-style: italic; }
.redacted-thinking { color: var(--dim); font-style: italic; }
.tool { margin: 4px 0; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); }
.tool > details > summary { padding: 3px 8px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tool > details[open] > summary { border-bottom: 1px solid var(--line); white-space: normal; }
.tool > details > div { padding: 2px 8px; }
.tool-name { font-weight: 700; color: var(--tool); font-family: ui-monospace, monospace; font-size: 12.5px; }
.tool-brief { font-family: ui-monospace, monospace; font-size: 12.5px; }
.status { margin-left: 8px; font-size: 11.5px; }
.status.ok { color: var(--ok); } .status.err { color: var(--err); font-weight: 700; } .status.pending { color: var(--dim); }
.kv .k, .tool-result .k { font-size: 11px; color: var(--dim); text-transform: uppercase; letter-spacing: .04em; margin-top: 4px; }
.tool-result.err pre { border-left: 3px solid var(--err); }
.agent { padding: 3px 8px; border-top: 1px dashed var(--line); font-size: 12.5px; }
.standalone-result { margin: 4px 0; }
.tagged .tag { font-size: 11px; color: var(--dim); font-family: ui-monospace, monospace; }
.line.meta { padding-top: 1px; padding-bottom: 1px; font-size: 12px; display: flex; gap: 8px; }
.line.meta > header { flex: none; }
.line.meta > .body { padding-left: 0; min-width: 0; flex: 1; }
.line.meta summary { color: var(--dim); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.line.meta details[open] summary { white-space: normal; }
.line.bad summary { color: var(--err); }
.line.summary { border-left: 3px solid var(--ok); }
.line.meta-turn { border-left: 3px solid var(--line); font-size: 12.5px; }
/* The conversation view: rows that are not turns, tool calls or summaries stay out of the way (unreadable lines stay). */
.transcript:not(.show-all) > .line.meta:not(.bad) { display: none; }
mark.redacted { background: var(--mark-bg); color: var(--mark-fg); font-weight: 700; font-family: ui-monospace, monospace; font-size: .92em; padding: 0 3px; border-radius: 3px; outline: 1px dashed var(--mark-fg); }
img.inline-image { max-width: min(100%, 640px); max-height: 480px; border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; }
.transcript > section.new { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: var(--hit); } to { background: transparent; } }
.window-nav { margin: 8px 0; font-size: 12.5px; display: flex; gap: 12px; }
section:target, .anchor:target + * { outline: 2px solid var(--hit); outline-offset: 2px; }
.charts { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; margin: 12px 0; }
.charts figure { margin: 0; min-width: 0; }
.charts figcaption { font-size: 12.5px; color: var(--dim); }
table.usage tr.total td { font-weight: 700; }
.topbar a.nav { color: inherit; }
`;

export const VIEWER_JS = String.raw`
(function () {
  'use strict';
  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  function localizeTimes(root) {
    var times = root.querySelectorAll('time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = times[i];
      if (t.dataset.local) continue;
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue;
      t.title = t.getAttribute('datetime');
      t.textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
      t.dataset.local = '1';
    }
  }

  // A line folded into another (a streamed message's next block, a tool result under its call)
  // keeps its #L<n> anchor where its content went, so links to that line still land on it.
  function keepAnchor(section, into, before) {
    if (!section || !section.id || !into) return;
    var a = document.createElement('span');
    a.className = 'anchor';
    a.id = section.id;
    section.removeAttribute('id');
    into.insertBefore(a, before);
  }

  // A tool result that arrived in a later batch than its call goes under the call.
  function placeResults(root) {
    var results = root.querySelectorAll('.standalone-result[data-for]');
    for (var i = 0; i < results.length; i++) {
      var r = results[i];
      var id = r.getAttribute('data-for');
      var call = document.querySelector('.tool[data-tool-id="' + CSS.escape(id) + '"]');
      if (!call) continue;
      var slot = call.querySelector('.result-slot');
      if (!slot || slot.childElementCount > 0) continue;
      var body = r.querySelector('.tool-result');
      keepAnchor(r.closest('section'), slot, null);
      if (body) slot.appendChild(body);
      var status = r.querySelector('summary .status');
      var old = call.querySelector('summary .status');
      if (status && old) old.replaceWith(status);
      var agent = r.querySelector('.agent');
      if (agent) call.appendChild(agent);
      var section = r.closest('section');
      r.remove();
      if (section && section.querySelector('.body') && section.querySelector('.body').childElementCount === 0) section.remove();
    }
  }

  // An assistant message split over several lines reads as one turn.
  function mergeTurns(container) {
    var sections = container.querySelectorAll(':scope > section[data-msg]');
    for (var i = 0; i < sections.length; i++) {
      var s = sections[i];
      var prev = s.previousElementSibling;
      if (!prev || prev.getAttribute('data-msg') !== s.getAttribute('data-msg')) continue;
      var from = s.querySelector(':scope > .body');
      var to = prev.querySelector(':scope > .body');
      if (!from || !to) continue;
      keepAnchor(s, to, null);
      while (from.firstChild) to.appendChild(from.firstChild);
      s.remove();
    }
  }

  // The page opens on the conversation; "show all lines" also shows the bookkeeping rows.
  // The choice is kept; a link to one of those rows shows them for that visit.
  function setupShowAll() {
    var box = document.getElementById('show-all');
    var main = document.getElementById('transcript');
    if (!box || !main) return;
    // Every transcript on the page: an exported page holds its sub-agents' too.
    var apply = function () {
      var all = document.querySelectorAll('.transcript');
      for (var i = 0; i < all.length; i++) all[i].classList.toggle('show-all', box.checked);
    };
    try { box.checked = localStorage.getItem('confab.showAll') === '1'; } catch (e) {}
    var target = location.hash.length > 1 ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.matches('.transcript > .line.meta')) box.checked = true;
    // A line folded into a tool call: open the call so the line can be seen.
    for (var d = target && target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
    apply();
    if (target) target.scrollIntoView();
    box.addEventListener('change', function () {
      try { localStorage.setItem('confab.showAll', box.checked ? '1' : '0'); } catch (e) {}
      apply();
    });
  }

  function setupExpand() {
    var btn = document.getElementById('expand-tools');
    if (!btn) return;
    btn.addEventListener('click', function () {
      var all = document.querySelectorAll('.tool > details');
      var open = btn.getAttribute('data-open') !== '1';
      for (var i = 0; i < all.length; i++) all[i].open = open;
      btn.setAttribute('data-open', open ? '1' : '0');
      btn.textContent = open ? 'Collapse tool calls' : 'Expand tool calls';
    });
  }

  // Large raw lines are fetched when opened, as text (never as markup).
  document.addEventListener('toggle', function (ev) {
    var d = ev.target;
    if (!d || !d.matches || !d.matches('details.lazy') || !d.open || d.dataset.loaded) return;
    d.dataset.loaded = '1';
    var pre = d.querySelector('.lazy-body');
    fetch(d.getAttribute('data-src'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (t) { if (pre) pre.textContent = t; })
      .catch(function (e) { if (pre) pre.textContent = 'could not load the line: ' + e.message; d.dataset.loaded = ''; });
  }, true);

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
  }

  function setupLive() {
    var main = document.getElementById('transcript');
    if (!main || main.getAttribute('data-live') !== '1' || !window.EventSource) return;
    var status = document.getElementById('live-status');
    var setStatus = function (cls, label) { if (status) { status.className = cls; status.textContent = label; } };
    var url = main.getAttribute('data-live-url');
    var es = new EventSource(url);
    es.addEventListener('open', function () { setStatus('on', 'live'); });
    es.addEventListener('error', function () { setStatus('off', es.readyState === 2 ? 'disconnected' : 'reconnecting…'); });
    es.addEventListener('lines', function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      var stick = nearBottom();
      var tpl = document.createElement('template');
      tpl.innerHTML = data.html;
      var added = Array.prototype.slice.call(tpl.content.children);
      main.appendChild(tpl.content);
      for (var i = 0; i < added.length; i++) added[i].classList.add('new');
      mergeTurns(main);
      placeResults(main);
      localizeTimes(main);
      main.setAttribute('data-after', String(data.last));
      var count = document.getElementById('line-count');
      if (count) count.textContent = String(data.last);
      if (stick) window.scrollTo(0, document.body.scrollHeight);
    });
    es.addEventListener('files', function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      var files = document.getElementById('files');
      if (files && typeof data.html === 'string') { files.innerHTML = data.html; localizeTimes(files); }
    });
    es.addEventListener('gone', function () { es.close(); setStatus('off', 'session no longer available'); });
  }

  // On the session list, results follow the search box as it is typed in.
  function setupSearchAsYouType() {
    var list = document.getElementById('list');
    var input = document.querySelector('form.search input[name=q]');
    if (!list || !input || !window.fetch || !window.DOMParser) return;
    var timer = null;
    var seq = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        var url = q ? '/?q=' + encodeURIComponent(q) : '/';
        var mine = ++seq;
        fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } }).then(function (res) { return res.text(); }).then(function (body) {
          if (mine !== seq) return;
          var fresh = new DOMParser().parseFromString(body, 'text/html').getElementById('list');
          var current = document.getElementById('list');
          if (!fresh || !current) return;
          current.replaceWith(fresh);
          localizeTimes(fresh);
          history.replaceState(null, '', url);
        }).catch(function () {});
      }, 200);
    });
  }

  // The usage page: its figures (a JSON element) drawn with the Chart.js the page loaded.
  function setupUsageCharts() {
    var el = document.getElementById('usage-data');
    if (!el || !window.Chart) return;
    var data;
    try { data = JSON.parse(el.textContent); } catch (e) { return; }
    var daily = document.getElementById('usage-daily');
    var models = document.getElementById('usage-models');
    var series = function (key, label) { return { label: label, data: data.daily.map(function (d) { return d[key]; }) }; };
    if (daily) new window.Chart(daily, {
      type: 'bar',
      data: { labels: data.daily.map(function (d) { return d.day; }), datasets: [series('input', 'input'), series('output', 'output'), series('cache_creation', 'cache write'), series('cache_read', 'cache read')] },
      options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true } } },
    });
    if (models) new window.Chart(models, {
      type: 'doughnut',
      data: { labels: data.models.map(function (m) { return m.model; }), datasets: [{ label: 'tokens', data: data.models.map(function (m) { return m.tokens; }) }] },
      options: { animation: false, responsive: true },
    });
  }

  localizeTimes(document);
  var main = document.getElementById('transcript');
  if (main) { mergeTurns(main); placeResults(main); }
  setupShowAll();
  setupExpand();
  setupLive();
  setupSearchAsYouType();
  setupUsageCharts();
})();
`;

const version = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** Content hashes: asset URLs change when the assets do, so they can be cached for good. */
export const CSS_VERSION = version(VIEWER_CSS);
export const JS_VERSION = version(VIEWER_JS);
