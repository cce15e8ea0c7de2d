// The admin API from the browser: the bearer token (asked once, kept in sessionStorage) goes in
// the Authorization header of every /api/ call and as the `bearer.<token>` subprotocol of the socket.

const TOKEN_KEY = 'junction.adminToken';

export class Unauthorized extends Error {}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function getJson(path) {
  const t = token();
  const res = await fetch(path, { headers: t ? { authorization: `Bearer ${t}` } : {}, cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the admin token is missing or wrong');
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/** Opens the events socket; `onMessage(msg)`, `onState('open' | 'closed')`. Reconnects with a backoff. */
export function connectEvents(onMessage, onState) {
  let delay = 500;
  let ws;
  let stopped = false;
  const open = () => {
    if (stopped) return;
    const url = new URL('/api/v1/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const t = token();
    try {
      ws = new WebSocket(url, t ? ['junction.v1', `bearer.${t}`] : ['junction.v1']);
    } catch {
      // a token with characters a subprotocol cannot carry: the REST calls still work, the socket cannot
      onState('unavailable');
      return;
    }
    ws.onopen = () => {
      delay = 500;
      onState('open');
    };
    ws.onmessage = (e) => {
      try {
        onMessage(JSON.parse(e.data));
      } catch {
        // not ours
      }
    };
    ws.onclose = () => {
      onState('closed');
      if (!stopped) setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    };
  };
  open();
  return {
    close() {
      stopped = true;
      ws?.close();
    },
  };
}
