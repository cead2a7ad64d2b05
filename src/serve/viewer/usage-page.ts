import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { UsageReport, UsageTotals } from '../../usage/report.js';
import { html, joinHtml, trusted } from './html.js';
import { layout } from './pages.js';
import { STATIC_PREFIX } from './urls.js';

/** Chart.js, served from this package's node_modules (never a CDN); undefined when it is not installed. */
export function chartLibrary(): { body: string; version: string } | undefined {
  try {
    // The package exports only its modules: find its dist/ from the main entry.
    const dist = dirname(createRequire(import.meta.url).resolve('chart.js'));
    const { version } = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string };
    return { body: readFileSync(join(dist, 'chart.umd.min.js'), 'utf8'), version };
  } catch {
    return undefined;
  }
}

export const CHART_JS_PATH = `${STATIC_PREFIX}/chart.umd.min.js`;

const n = (x: number) => x.toLocaleString('en-US');
const usd = (t: UsageTotals) => (t.cost === null ? 'no price' : `$${t.cost.toFixed(2)}${t.unpriced_responses > 0 ? '+' : ''}`);

function reportTable(r: UsageReport, label: string) {
  const rows = r.rows.map(
    (x) => html`<tr><td>${x.label ? `${x.label} (${x.key.slice(0, 8)})` : x.key}</td><td class="num">${n(x.input)}</td><td class="num">${n(x.output)}</td><td class="num">${n(x.cache_creation)}</td><td class="num">${n(x.cache_read)}</td><td class="num">${usd(x)}</td></tr>`,
  );
  const t = r.total;
  return html`<table class="sessions usage"><thead><tr><th>${label}</th><th class="num">Input</th><th class="num">Output</th><th class="num">Cache write</th><th class="num">Cache read</th><th class="num">Cost</th></tr></thead><tbody>${rows}<tr class="total"><td>Total</td><td class="num">${n(t.input)}</td><td class="num">${n(t.output)}</td><td class="num">${n(t.cache_creation)}</td><td class="num">${n(t.cache_read)}</td><td class="num">${usd(t)}</td></tr></tbody></table>`;
}

/** JSON inside a non-executed script element: `<` escaped so no text can close the element. */
const jsonForHtml = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function renderUsagePage(o: { owner: string; daily: UsageReport | undefined; model: UsageReport | undefined; project: UsageReport | undefined; chartVersion?: string }): string {
  if (!o.daily || !o.model || !o.project) {
    return layout({ title: 'Usage', owner: o.owner, body: html`<h1>Usage</h1><p class="dim">The search index is not ready yet; usage figures come from it. Reload in a moment.</p>` });
  }
  const data = {
    daily: o.daily.rows.map((r) => ({ day: r.key, input: r.input, output: r.output, cache_creation: r.cache_creation, cache_read: r.cache_read, cost: r.cost })),
    models: o.model.rows.map((r) => ({ model: r.key, tokens: r.input + r.output + r.cache_creation + r.cache_read, cost: r.cost })),
  };
  const charts = o.chartVersion
    ? html`<div class="charts"><figure><figcaption>Tokens per day</figcaption><canvas id="usage-daily" role="img" aria-label="Tokens per day"></canvas></figure><figure><figcaption>Tokens by model</figcaption><canvas id="usage-models" role="img" aria-label="Tokens by model"></canvas></figure></div><script type="application/json" id="usage-data">${trusted(jsonForHtml(data))}</script><script src="${CHART_JS_PATH}?v=${o.chartVersion}"></script>`
    : html`<p class="dim">Charts need the chart.js package.</p>`;
  return layout({
    title: 'Usage',
    owner: o.owner,
    body: joinHtml([
      html`<h1>Usage <span class="dim count">${usd(o.daily.total)}</span></h1><p class="dim">Each API response counted once; days are UTC; "no price": a model without a price (set one with <code>pricing</code> in ~/.confab/config.json).</p>`,
      charts,
      html`<h2>By model</h2>`,
      reportTable(o.model, 'Model'),
      html`<h2>By project</h2>`,
      reportTable(o.project, 'Project'),
      html`<h2>By day</h2>`,
      reportTable(o.daily, 'Day'),
    ]),
  });
}
