/**
 * The cases of the bad-input probe ("Bad input, round two"): the exact bytes of each, given the
 * proxy's `host:port`. Every case goes on a fresh connection, to each proxy in turn.
 * Spoofed client addresses are from the documentation range 203.0.113.0/24, as everywhere in the
 * project's docs.
 */

export interface ProbeCase {
  readonly id: string;
  /** the issue's case number, or 'ctl' for a control that shows the normal answer */
  readonly issue: string;
  /** what is sent, in a few words (the table's "bytes" column) */
  readonly summary: string;
  readonly bytes: (hostPort: string) => string;
  /** response headers worth showing beside the status (lower case) */
  readonly showResponse?: readonly string[];
  /** request headers the upstream received worth showing beside the request line (lower case) */
  readonly showUpstream?: readonly string[];
  /** wait for the proxy to close (or the deadline) even after a complete answer */
  readonly untilClose?: boolean;
}

const CRLF = '\r\n';
/** A request from its lines: CRLF after each, a blank line at the end. */
const req = (...lines: string[]): string => lines.map((l) => l + CRLF).join('') + CRLF;
const FWD = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded'];
const WS = ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];
const A40 = 'a'.repeat(40);

/** `n` short distinct header lines `kaa:1`, `kab:1`, ... (never a real header name), 7 bytes each. */
function fillerHeaders(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i + 10 * 26 * 26; // from 'kaa'
    const name = [Math.floor(k / 676), Math.floor(k / 26) % 26, k % 26].map((d) => String.fromCharCode(97 + d)).join('');
    out.push(`${name}:1`);
  }
  return out;
}

export const CASES: readonly ProbeCase[] = [
  {
    id: 'plain',
    issue: 'ctl',
    summary: '`GET /`, Host, Connection: close',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'Connection: close'),
    showUpstream: ['host', 'connection', ...FWD],
  },
  {
    id: 'redos',
    issue: '1',
    summary: '`GET /re/` + 40 `a` + `!`, Connection: close (route `/re/(a+)+`)',
    bytes: (h) => req(`GET /re/${A40}! HTTP/1.1`, `Host: ${h}`, 'Connection: close'),
    showUpstream: ['x-probe-route'],
  },
  {
    id: 'redos-match',
    issue: 'ctl',
    summary: '`GET /re/aaaa` (matches `/re/(a+)+`)',
    bytes: (h) => req('GET /re/aaaa HTTP/1.1', `Host: ${h}`, 'Connection: close'),
    showUpstream: ['x-probe-route'],
  },
  {
    id: 'two-hosts',
    issue: '2',
    summary: '`GET /`, `Host: a.example`, `Host: b.example`',
    bytes: () => req('GET / HTTP/1.1', 'Host: a.example', 'Host: b.example'),
    showUpstream: ['host'],
  },
  {
    id: 'continue',
    issue: '2',
    summary: '`GET /continue`: upstream sends an unsolicited `100 Continue`, then 200',
    bytes: (h) => req('GET /continue HTTP/1.1', `Host: ${h}`),
  },
  {
    id: 'slow-upload',
    issue: '5',
    summary: '`POST /`, `Content-Length: 1000`, 1 body byte, then silence',
    bytes: (h) => req('POST / HTTP/1.1', `Host: ${h}`, 'Content-Length: 1000') + 'x',
    showUpstream: ['content-length', 'transfer-encoding'],
    untilClose: true,
  },
  {
    id: 'slow-answer',
    issue: 'ctl',
    summary: '`GET /slow-answer`: the upstream never answers',
    bytes: (h) => req('GET /slow-answer HTTP/1.1', `Host: ${h}`),
    untilClose: true,
  },
  {
    id: 'absolute-form',
    issue: '6',
    summary: '`GET http://public.example/x`, `Host: internal.example`',
    bytes: () => req('GET http://public.example/x HTTP/1.1', 'Host: internal.example'),
    showUpstream: ['host', 'x-forwarded-host'],
  },
  {
    id: 'ws-hang',
    issue: '7',
    summary: '`GET /ws-hang`, WebSocket upgrade; the upstream never answers',
    bytes: (h) => req('GET /ws-hang HTTP/1.1', `Host: ${h}`, ...WS),
    showUpstream: ['connection', 'upgrade'],
    untilClose: true,
  },
  {
    id: 'ws-idle',
    issue: '7',
    summary: '`GET /ws`, WebSocket upgrade: 101, then both sides idle',
    bytes: (h) => req('GET /ws HTTP/1.1', `Host: ${h}`, ...WS),
    showUpstream: ['connection', 'upgrade'],
    untilClose: true,
  },
  {
    id: 'no-content',
    issue: '8',
    summary: '`GET /no-content`: upstream `204` with `Content-Length: 5`',
    bytes: (h) => req('GET /no-content HTTP/1.1', `Host: ${h}`),
    showResponse: ['content-length', 'transfer-encoding'],
  },
  {
    id: 'not-modified',
    issue: '8',
    summary: '`GET /not-modified`: upstream `304` with `Content-Length: 5`',
    bytes: (h) => req('GET /not-modified HTTP/1.1', `Host: ${h}`),
    showResponse: ['content-length', 'transfer-encoding'],
  },
  {
    id: 'early-hints',
    issue: '8',
    summary: '`GET /early-hints`: upstream `103` with `Link`, then 200',
    bytes: (h) => req('GET /early-hints HTTP/1.1', `Host: ${h}`),
    showResponse: ['link'],
  },
  {
    id: 'conn-x-junction-user',
    issue: '9',
    summary: '`GET /`, `Connection: x-junction-user`, `X-Junction-User: mallory`',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'Connection: x-junction-user', 'X-Junction-User: mallory'),
    showUpstream: ['connection', 'x-junction-user'],
  },
  {
    id: 'conn-x-junction-user-auth',
    issue: '9',
    summary: '`GET /private/x` as alice (Basic), `Connection: x-junction-user` (Junction: basic-auth route)',
    bytes: (h) => req('GET /private/x HTTP/1.1', `Host: ${h}`, `Authorization: Basic ${Buffer.from('alice:s3cret').toString('base64')}`, 'Connection: x-junction-user'),
    showUpstream: ['connection', 'x-junction-user', 'authorization'],
  },
  {
    id: 'conn-host',
    issue: '9',
    summary: '`GET /`, `Connection: host`',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'Connection: host'),
    showUpstream: ['host', 'connection'],
  },
  {
    id: 'h2c',
    issue: '10',
    summary: '`GET /`, `Connection: Upgrade, HTTP2-Settings`, `Upgrade: h2c`, `HTTP2-Settings`',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'),
    showUpstream: ['connection', 'upgrade', 'http2-settings'],
  },
  {
    id: 'upgrade-foo',
    issue: '10',
    summary: '`GET /`, `Connection: Upgrade`, `Upgrade: foo`',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'Connection: Upgrade', 'Upgrade: foo'),
    showUpstream: ['connection', 'upgrade'],
  },
  {
    id: 'connect',
    issue: '10',
    summary: '`CONNECT example.com:443 HTTP/1.1`, `Host: example.com:443`',
    bytes: () => req('CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'),
    showUpstream: ['host'],
  },
  {
    id: 'http-2.0',
    issue: '10',
    summary: '`GET / HTTP/2.0`, Host',
    bytes: (h) => req('GET / HTTP/2.0', `Host: ${h}`),
  },
  {
    id: 'admin',
    issue: 'ctl',
    summary: '`GET /admin/x` (loopback denied on `/admin/`)',
    bytes: (h) => req('GET /admin/x HTTP/1.1', `Host: ${h}`),
  },
  {
    id: 'admin-double-slash',
    issue: '11',
    summary: '`GET //admin/x`',
    bytes: (h) => req('GET //admin/x HTTP/1.1', `Host: ${h}`),
  },
  {
    id: 'admin-encoded-slash',
    issue: '11',
    summary: '`GET /admin%2Fx`',
    bytes: (h) => req('GET /admin%2Fx HTTP/1.1', `Host: ${h}`),
  },
  {
    id: 'many-headers',
    issue: '11',
    summary: '2,100 header lines: Host, 2,098 × `kaa:1`, `kab:1`..., `X-Last: 1` (14.7 KB, under 16 KiB)',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, ...fillerHeaders(2098), 'X-Last: 1'),
    showUpstream: ['x-last'],
  },
  {
    id: 'spoofed-ip',
    issue: '11',
    summary: '`X-Real-IP: 203.0.113.66`, `Forwarded: for=203.0.113.66`',
    bytes: (h) => req('GET / HTTP/1.1', `Host: ${h}`, 'X-Real-IP: 203.0.113.66', 'Forwarded: for=203.0.113.66'),
    showUpstream: FWD,
  },
  {
    id: 'host-space',
    issue: '11',
    summary: '`Host: a b`',
    bytes: () => req('GET / HTTP/1.1', 'Host: a b'),
    showUpstream: ['host'],
  },
  {
    id: 'host-bracket',
    issue: '11',
    summary: '`Host: [::1`',
    bytes: () => req('GET / HTTP/1.1', 'Host: [::1'),
    showUpstream: ['host'],
  },
  {
    id: 'host-port',
    issue: '11',
    summary: '`Host: x:99999`',
    bytes: () => req('GET / HTTP/1.1', 'Host: x:99999'),
    showUpstream: ['host'],
  },
  {
    id: 'valid-then-garbage',
    issue: '11',
    summary: '`GET /`, `Host: x`, then `GARBAGE\\r\\n\\r\\n` on the same connection',
    bytes: () => `${req('GET / HTTP/1.1', 'Host: x')}GARBAGE${CRLF}${CRLF}`,
    showUpstream: ['host'],
  },
];
