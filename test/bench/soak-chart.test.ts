import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, niceAxis, niceAxisParts, soakChartSvg, type ChartPoint } from '../../bench/lib/soak-chart.js';

const points: ChartPoint[] = [
  { t: 0, rssMiB: 100, fds: 25 },
  { t: 300, rssMiB: 120, fds: 44 },
  { t: 600, rssMiB: 125.55, fds: 45 },
];

function polylines(svg: string): string[][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => (m[1] ?? '').split(' '));
}

test('niceAxis: a round top at or above the maximum', () => {
  assert.deepEqual(niceAxis(138), { top: 150, step: 50 });
  assert.deepEqual(niceAxis(61), { top: 80, step: 20 });
  assert.deepEqual(niceAxis(110), { top: 125, step: 25 });
  assert.deepEqual(niceAxis(49.5), { top: 50, step: 10 });
  assert.deepEqual(niceAxis(10), { top: 10, step: 2 });
  assert.deepEqual(niceAxis(0), { top: 5, step: 1 });
  for (const max of [0.3, 7, 33, 101, 999, 12_345]) {
    const a = niceAxis(max);
    assert.ok(a.top >= max, `${max}: top ${a.top}`);
    assert.ok(a.top < max + a.step + 1e-9, `${max}: top ${a.top} more than a step above`);
    assert.ok(a.top / a.step <= 5 + 1e-9, `${max}: more than 5 parts`);
  }
});

test('niceAxisParts: the same number of parts, a nice step', () => {
  assert.deepEqual(niceAxisParts(49.5, 3), { top: 60, step: 20 });
  assert.deepEqual(niceAxisParts(4, 3), { top: 6, step: 2 });
});

test('both axes label the same grid lines with round numbers', () => {
  const svg = soakChartSvg(points, { title: 't' });
  const right = [...svg.matchAll(/fill="#d95f02">([^<]*)</g)].map((m) => m[1]).filter((v) => v !== 'open fds');
  assert.deepEqual(right, ['0', '20', '40', '60']);
  const left = [...svg.matchAll(/text-anchor="end" fill="#1f77b4">([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(left, ['0', '50', '100', '150']);
});

test('escapeXml escapes every markup character', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
});

test('the chart is a well-formed SVG with one line per series, one vertex per sample', () => {
  const svg = soakChartSvg(points, { title: 'Soak <1000 req/s> & more', subtitle: 'x "y"', marker: { t: 60, label: 'baseline' } });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  assert.ok(svg.includes('Soak &lt;1000 req/s&gt; &amp; more'));
  assert.ok(svg.includes('x &quot;y&quot;'));
  assert.ok(!svg.includes('Soak <1000'));
  const lines = polylines(svg);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.length, 3);
  assert.equal(lines[1]?.length, 3);
  assert.ok(svg.includes('minutes since the load started'));
  assert.ok(svg.includes('>baseline<'));
});

test('higher values are drawn higher, and time runs left to right', () => {
  const svg = soakChartSvg(points, { title: 't' });
  const [rss] = polylines(svg);
  const xy = (rss ?? []).map((p) => p.split(',').map(Number) as [number, number]);
  assert.equal(xy.length, 3);
  const [a, b, c] = xy as [[number, number], [number, number], [number, number]];
  assert.ok(a[0] < b[0] && b[0] < c[0], 'x increases with time');
  assert.ok(a[1] > b[1] && b[1] > c[1], 'y (screen) decreases as RSS grows');
});

test('missing readings are skipped, not drawn as zero', () => {
  const svg = soakChartSvg([{ t: 0, rssMiB: 100, fds: undefined }, { t: 10, rssMiB: undefined, fds: 30 }, { t: 20, rssMiB: 110, fds: 31 }], { title: 't' });
  const [rss, fds] = polylines(svg);
  assert.equal(rss?.length, 2);
  assert.equal(fds?.length, 2);
  assert.ok(svg.includes('seconds since the load started'));
});

test('deterministic: the same input gives the same bytes', () => {
  const opts = { title: 'same', marker: { t: 60, label: 'baseline' } };
  assert.equal(soakChartSvg(points, opts), soakChartSvg([...points].reverse(), opts));
});
