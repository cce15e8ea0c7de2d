import { fmtRate, h, pct, replaceRows, setText } from './dom.js';

export function renderHeader(status, topology) {
  setText('instance', status.instance ?? '–');
  setText('version', status.version ?? '–');
  setText('revision', topology?.revision ?? status.revision ?? 0);
  const s = status.store ?? {};
  setText('store', `${s.kind ?? '?'} · ${s.connected ? 'connected' : `stale ${Math.round(s.stalenessSeconds ?? 0)}s`}`);
}

export function renderErrors(errors) {
  const section = document.getElementById('errors-section');
  section.hidden = errors.length === 0;
  setText('errors-count', errors.length);
  replaceRows(
    document.querySelector('#errors tbody'),
    errors.map((e) => h('tr', { 'data-key': e.key }, h('td', {}, h('code', {}, e.key)), h('td', {}, e.field ?? ''), h('td', {}, e.code ?? ''), h('td', {}, e.message))),
  );
}

function matchCell(m) {
  const parts = [];
  if (m.host) parts.push(h('span', { class: 'tag' }, `host ${m.host}`));
  if (m.pathPrefix) parts.push(h('code', {}, `${m.pathPrefix}*`));
  if (m.path) parts.push(h('code', {}, m.path));
  if (m.pathRegex) parts.push(h('code', {}, `~ ${m.pathRegex}`));
  if (m.methods) parts.push(h('span', { class: 'tag' }, m.methods.join(' ')));
  for (const [k, v] of Object.entries(m.headers ?? {})) parts.push(h('span', { class: 'tag' }, `${k}: ${v}`));
  return parts.length > 0 ? parts : [h('span', { class: 'muted' }, 'everything')];
}

function targetCell(route, traffic, guards) {
  const share = traffic.routeShare(route.id);
  const arms = route.split ?? [{ backend: route.backend, weight: 1 }];
  const total = arms.reduce((n, a) => n + a.weight, 0) || 1;
  return h(
    'div',
    { class: 'split' },
    arms.map((a) => {
      const w = (100 * a.weight) / total;
      const live = share.has(a.backend) ? 100 * share.get(a.backend) : null;
      const tripped = guards.some((g) => g.route === route.id && g.backend === a.backend && g.tripped);
      return h(
        'div',
        { class: 'arm', 'data-backend': a.backend },
        h('span', {}, a.backend, tripped ? h('span', { class: 'tag bad', title: 'canary guard tripped' }, 'guard') : null),
        h('div', { class: 'bars', title: `weight ${pct(w)}, live ${pct(live)}` }, h('div', { class: 'weight', style: { width: `${w}%` } }), h('div', { class: 'share', style: { width: `${live ?? 0}%` } })),
        h('span', { class: 'legend' }, h('span', { class: 'w', 'data-weight': w.toFixed(1) }, pct(w)), ' → ', h('span', { class: 's', 'data-share': live === null ? '' : live.toFixed(1) }, pct(live))),
      );
    }),
    route.tee.length > 0 ? h('div', { class: 'legend' }, route.tee.map((t) => h('span', { class: 'tag' }, `tee ${t.percent}% → ${t.backend}`))) : null,
  );
}

export function renderRoutes(topology, traffic, guards) {
  const routes = topology?.routes ?? [];
  setText('routes-count', routes.length);
  replaceRows(
    document.querySelector('#routes tbody'),
    routes.map((r) => {
      const e5 = traffic.route5xx(r.id);
      return h(
        'tr',
        { 'data-route': r.id },
        h('td', {}, h('strong', {}, r.id), h('div', { class: 'legend' }, `rev ${r.modRevision}`)),
        h('td', {}, matchCell(r.match)),
        h('td', { class: 'num' }, r.priority),
        h('td', {}, targetCell(r, traffic, guards)),
        h('td', {}, r.filters.map((f) => h('span', { class: 'tag' }, f))),
        h('td', { class: 'num', 'data-rps': '' }, fmtRate(traffic.routeRate(r.id))),
        h('td', { class: 'num' }, e5 === null ? '–' : h('span', { class: e5 > 0.05 ? 'tag bad' : '' }, pct(100 * e5))),
      );
    }),
  );
}

export function renderTees(reports, traffic) {
  setText('tees-count', reports.length);
  replaceRows(
    document.querySelector('#tees tbody'),
    reports.map((t) => {
      const c = t.compare;
      return h(
        'tr',
        { 'data-tee': `${t.route}/${t.backend}` },
        h('td', {}, h('strong', {}, t.route), ' → ', t.backend, t.breakerOpen ? h('span', { class: 'tag bad' }, 'breaker open') : null),
        h('td', { class: 'num' }, `${pct(t.intendedPercent)} / ${pct(t.achievedPercent)}`),
        h('td', { class: 'num' }, t.sent),
        h('td', { class: 'num' }, `${t.completed} / ${t.failed}`),
        h('td', { class: 'num' }, `${t.dropped.inflight} / ${t.dropped.rate} / ${t.dropped.breaker}`),
        h('td', { class: 'num' }, `${t.skipped.sample} / ${t.skipped.method} / ${t.skipped.body}`),
        h('td', { class: 'num' }, c ? `${c.matchRate === null ? '–' : pct(100 * c.matchRate)} (${c.matches}✓ ${c.mismatches}✗)` : h('span', { class: 'muted' }, 'off')),
        h('td', { class: 'num' }, fmtRate(traffic.teeRate(t.route, t.backend, 'sent'))),
      );
    }),
  );
}

/** The certificates the TLS listener serves (the status's `certs`), soonest expiry first; a warning under 14 days. */
export function renderCerts(certs) {
  setText('certs-count', certs.length);
  replaceRows(
    document.querySelector('#certs tbody'),
    certs.map((c) =>
      h(
        'tr',
        { 'data-cert': c.id, 'data-days': c.expiresInDays, 'data-warning': c.warning ? 'yes' : 'no' },
        h('td', {}, h('strong', {}, c.id), c.default ? h('span', { class: 'tag' }, 'default') : null),
        h('td', {}, c.sans.length > 0 ? c.sans.map((n) => h('code', {}, n)) : h('span', { class: 'muted' }, 'no names')),
        h('td', {}, c.notAfter.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')),
        h('td', { class: 'num' }, c.warning ? h('span', { class: `tag ${c.expiresInDays < 0 ? 'bad' : 'warn'}`, title: c.warning }, c.expiresInDays < 0 ? 'expired' : `${c.expiresInDays} days`) : `${c.expiresInDays}`),
      ),
    ),
  );
}

function flag(value, good, bad) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, '–');
  return value ? h('span', { class: 'tag ok' }, good) : h('span', { class: 'tag bad' }, bad);
}

export function renderBackends(topology, traffic) {
  const backends = topology?.backends ?? [];
  setText('backends-count', backends.length);
  document.getElementById('backends').replaceChildren(
    ...backends.map((b) =>
      h(
        'div',
        { class: 'backend', 'data-backend': b.id },
        h('h3', {}, b.id, ' ', h('span', { class: 'tag' }, b.balancer), h('span', { class: 'legend' }, ` ${fmtRate(traffic.backendRate(b.id))} req/s`)),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ['server', 'url', 'weight', 'state', 'available', 'health', 'breaker', 'source'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            b.servers.map((s) =>
              h(
                'tr',
                { 'data-server': s.id },
                h('td', {}, s.id),
                h('td', {}, h('code', {}, s.url)),
                h('td', { class: 'num' }, s.weight),
                h('td', {}, h('span', { class: `tag ${s.state === 'active' ? 'ok' : 'warn'}` }, s.state)),
                h('td', {}, flag(s.available, 'yes', 'no')),
                h('td', {}, flag(s.healthy, 'healthy', 'unhealthy')),
                h('td', {}, s.breakerOpen === null ? h('span', { class: 'muted' }, '–') : s.breakerOpen ? h('span', { class: 'tag bad' }, 'open') : h('span', { class: 'tag ok' }, 'closed')),
                h('td', { class: 'legend' }, s.source),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

export function addEvent(msg) {
  const list = document.getElementById('events');
  const time = (msg.at ?? new Date().toISOString()).slice(11, 19);
  const { type, at, ...rest } = msg;
  const cls = type === 'config.rejected' ? 'rejected' : type.endsWith('tripped') ? 'tripped' : '';
  list.prepend(h('li', { class: cls, 'data-type': type }, `${time} ${type} ${JSON.stringify(rest)}`));
  while (list.children.length > 50) list.lastElementChild.remove();
}
