import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisTicks, barChartSvg, escapeXml, formatNumber, LAYOUT, type BarChart } from '../../bench/lib/svg-chart.js';
import type { MachineInfo } from '../../bench/lib/machine.js';
import type { LoadResult } from '../../bench/lib/load-types.js';
import { judgeGoals, throughputMarkdown, throughputSvg, withRatios, type ScenarioResult, type ThroughputReport } from '../../bench/lib/throughput-report.js';

interface Element {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  /** text directly inside, entities decoded */
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|#39);/g;
const decode = (s: string) => s.replace(ENTITY, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');

/** A strict little XML reader: balanced tags, quoted attributes, no raw `<`, `>` or bare `&` in text or values. */
function parseXml(xml: string): Element[] {
  const elements: Element[] = [];
  const stack: Element[] = [];
  let i = 0;
  const checkText = (s: string, where: string) => {
    assert.ok(!/[<>]/.test(s), `raw < or > in ${where}: ${JSON.stringify(s)}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|#39);)/.test(s), `bare & in ${where}: ${JSON.stringify(s)}`);
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textPart = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (textPart.trim() !== '') {
      assert.ok(stack.length > 0, `text outside the root: ${JSON.stringify(textPart)}`);
      checkText(textPart, 'text');
      const top = stack[stack.length - 1];
      if (top) top.text += decode(textPart);
    }
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    assert.ok(gt > lt, 'unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const open = stack.pop();
      assert.equal(open?.name, tag.slice(1), `</${tag.slice(1)}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*$/.exec(body);
    assert.ok(m, `malformed tag <${tag}>`);
    const attrs: Record<string, string> = {};
    for (const a of (m[2] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) {
      const [, k = '', v = ''] = a;
      checkText(v, `attribute ${k}`);
      assert.ok(!(k in attrs), `duplicate attribute ${k}`);
      attrs[k] = decode(v);
    }
    const el: Element = { name: m[1] ?? '', attrs, text: '' };
    assert.ok(stack.length > 0 || elements.length === 0, 'a second root element');
    elements.push(el);
    if (!selfClosing) stack.push(el);
  }
  assert.equal(stack.length, 0, `unclosed: ${stack.map((e) => e.name).join(', ')}`);
  return elements;
}

const NASTY = `a<b> & "c" 'd'`;

function sample(): BarChart {
  return {
    title: 'Bench <title> & co',
    subtitle: ['2 cores, Node v20 & friends', 'load: "50" connections'],
    legend: { highlight: 'Junction', plain: 'baselines' },
    rows: [{ label: 'http-proxy-3' }, { label: 'Junction', highlight: true }, { label: NASTY }, { label: 'skipped one' }],
    panels: [
      { title: 'req/s', axisLabel: 'requests per second', values: [11_370, 16_016, 2_912, undefined], missing: [undefined, undefined, undefined, 'skipped'], decimals: 0 },
      { title: 'p99 ms', axisLabel: 'milliseconds', values: [7.6, 6.51, undefined, undefined], decimals: 2 },
    ],
  };
}

const bars = (els: readonly Element[]) => els.filter((e) => e.name === 'rect' && e.attrs['class'] === 'bar');

test('the chart is well-formed XML with an svg root and every bar of every panel', () => {
  const els = parseXml(barChartSvg(sample()));
  assert.equal(els[0]?.name, 'svg');
  assert.equal(els[0]?.attrs['xmlns'], 'http://www.w3.org/2000/svg');
  const found = bars(els);
  assert.equal(found.length, 5, 'three bars in the req/s panel, two in the p99 one');
  assert.deepEqual(found.map((b) => Number(b.attrs['data-value'])), [11_370, 16_016, 2_912, 7.6, 6.51]);
  const missing = els.filter((e) => e.attrs['class'] === 'missing').map((e) => e.text);
  assert.deepEqual(missing, ['skipped', 'n/a', 'n/a']);
  const values = els.filter((e) => e.attrs['class'] === 'value').map((e) => e.text);
  assert.deepEqual(values, ['11,370', '16,016', '2,912', '7.60', '6.51']);
});

test('bar widths are proportional to the values, within one panel, and the longest fills most of the plot', () => {
  const chart = sample();
  const found = bars(parseXml(barChartSvg(chart)));
  const barArea = LAYOUT.panelWidth - LAYOUT.valueRoom;
  for (const [p, panel] of chart.panels.entries()) {
    const inPanel = found.slice(p === 0 ? 0 : 3, p === 0 ? 3 : 5);
    const defined = panel.values.filter((v): v is number => v !== undefined);
    const perUnit = inPanel.map((b, k) => Number(b.attrs['width']) / (defined[k] ?? 1));
    for (const u of perUnit) assert.ok(Math.abs(u - (perUnit[0] ?? 0)) * Math.max(...defined) < 0.2, `panel ${p}: width/value ${perUnit.join(', ')}`);
    const widest = Math.max(...inPanel.map((b) => Number(b.attrs['width'])));
    assert.ok(widest <= barArea && widest >= barArea / 2, `panel ${p}: widest bar ${widest} of ${barArea}`);
    const xs = new Set(inPanel.map((b) => b.attrs['x']));
    assert.equal(xs.size, 1, 'bars of a panel start at one x');
  }
});

test('text is escaped: labels, title and subtitles come back exactly', () => {
  const svg = barChartSvg(sample());
  assert.ok(svg.includes('a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;'));
  assert.ok(!svg.includes(NASTY));
  const els = parseXml(svg);
  const labels = els.filter((e) => e.attrs['class'] === 'row-label').map((e) => e.text);
  assert.deepEqual(labels, ['http-proxy-3', 'Junction', NASTY, 'skipped one']);
  assert.ok(els.some((e) => e.name === 'title' && e.text === 'Bench <title> & co'));
  assert.ok(els.some((e) => e.name === 'text' && e.text === 'load: "50" connections'));
  assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&#39;');
});

test('highlighted rows get the accent colour and a band; the output is deterministic', () => {
  const svg = barChartSvg(sample());
  assert.equal(svg, barChartSvg(sample()));
  const els = parseXml(svg);
  const fills = bars(els).map((b) => b.attrs['fill']);
  assert.equal(fills[1], fills[4], 'Junction in both panels');
  assert.notEqual(fills[0], fills[1]);
  assert.equal(els.filter((e) => e.attrs['class'] === 'band').length, 1);
  const bold = els.filter((e) => e.attrs['class'] === 'row-label' && e.attrs['font-weight'] === 'bold').map((e) => e.text);
  assert.deepEqual(bold, ['Junction']);
});

test('ticks are round and cover the maximum; numbers are grouped without the locale', () => {
  assert.deepEqual(axisTicks(16_016), [0, 5000, 10_000, 15_000, 20_000]);
  assert.deepEqual(axisTicks(7.6), [0, 2, 4, 6, 8]);
  assert.deepEqual(axisTicks(0), [0, 1]);
  for (const max of [0.3, 1, 9.99, 123, 4567, 98_765]) {
    const t = axisTicks(max);
    assert.ok((t[t.length - 1] ?? 0) >= max && t.length <= 6 && t.length >= 3, `${max}: ${t.join(',')}`);
  }
  assert.equal(formatNumber(1_234_567.891, 2), '1,234,567.89');
  assert.equal(formatNumber(999.5, 0), '1,000');
  assert.equal(formatNumber(-0.001, 1), '0.0');
});

const machine: MachineInfo = {
  cpus: 2, cpuModel: 'Test CPU', memoryGiB: 4, node: 'v20.20.2', platform: 'linux-x64', kernel: '6.1',
  date: '2026-11-26T10:00:00.000Z', pinning: 'taskset', loadAvg1: 0.1, busyBeforePct: 1,
};

function run(id: string, label: string, rps: number, usPerRequest: number, junction = false): ScenarioResult {
  const result: LoadResult = {
    rps, total: rps * 5, durationS: 5, latencyMs: { p50: 2, p90: 4, p99: 6, max: 9, mean: 2.5 }, errors: 0, timeouts: 0, non2xx: 0, bytesPerSec: 0,
    autocannon: { requestsAverage: rps, p50: 2, p99: 6 },
  };
  return { id, label, what: `${label} <what>`, result, cpu: { processPct: 99, usPerRequest, corePct: [50, 99] }, ...(junction ? { junction: true } : {}) };
}

test('the throughput report judges both goals by CPU µs/req and references its chart', () => {
  const scenarios = withRatios([
    run('http-proxy-3', 'http-proxy-3 (keep-alive)', 11_000, 88),
    run('reply-from', '@fastify/reply-from', 14_000, 70),
    run('junction', 'Junction', 16_000, 60, true),
    { id: 'junction-workers-2', label: 'Junction --workers 2', what: 'w', junction: true, skipped: '--workers 2 not available in this build' },
    run('http-proxy-3-no-agent', 'http-proxy-3 (agent: false)', 3000, 240),
  ]);
  const goals = judgeGoals(scenarios, 'junction');
  assert.deepEqual(goals.map((g) => [g.reference, g.ratio, g.met]), [
    ['http-proxy-3-no-agent', 4, true],
    ['reply-from', 1.17, false],
    ['http-proxy-3', 1.47, undefined],
  ]);
  const report: ThroughputReport = {
    machine,
    load: { tool: 't', connections: 50, durationS: 5, warmupS: 1, path: '/api/items/42' },
    scenarios,
    goals,
    scalingSkipped: '--workers 2 not available in this build',
  };
  const md = throughputMarkdown(report, 'npm run bench', 'throughput.svg');
  assert.match(md, /!\[[^\]]+\]\(throughput\.svg\)/);
  assert.match(md, /Junction \(access log on\) >= 2x http-proxy-3 \(agent: false\) by CPU µs\/req: 240 vs 60 µs\/req = 4\.00x: met/);
  assert.match(md, /Junction \(access log on\) >= 1\.3x @fastify\/reply-from by CPU µs\/req: 70 vs 60 µs\/req = 1\.17x: MISSED/);
  assert.match(md, /Scaling, Junction --workers 2: skipped/);
  const els = parseXml(throughputSvg(report));
  const found = bars(els);
  assert.equal(found.length, 4 * 3 - 0, 'four measured rows in each of the three panels');
  const labels = els.filter((e) => e.attrs['class'] === 'row-label').map((e) => e.text);
  assert.deepEqual(labels, scenarios.map((s) => s.label));
  assert.ok(els.some((e) => e.name === 'text' && e.text.includes('2026-11-26T10:00:00.000Z')), 'the date is in the subtitle');
});
