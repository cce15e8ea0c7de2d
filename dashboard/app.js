import { Unauthorized, connectEvents, getJson, setToken, token } from './api.js';
import { fmtRate, setText } from './dom.js';
import { Traffic } from './live.js';
import { addEvent, renderBackends, renderCerts, renderErrors, renderHeader, renderRoutes, renderTees } from './render.js';

const POLL_MS = 5000;
const traffic = new Traffic();
const state = { status: undefined, topology: undefined, refreshing: undefined, again: false };

function renderAll() {
  const { status, topology } = state;
  if (!status) return;
  renderHeader(status, topology);
  renderErrors(status.errors ?? []);
  renderRoutes(topology, traffic, status.canary?.guards ?? []);
  renderTees(status.tee ?? [], traffic);
  renderCerts(status.certs ?? []);
  renderBackends(topology, traffic);
  setText('rps', fmtRate(traffic.totalRate()));
}

/** Re-reads status and topology; `reason` is recorded on <body> (tests and humans can see what triggered it). */
async function refresh(reason) {
  if (state.refreshing) {
    state.again = reason;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    try {
      const [status, topology] = await Promise.all([getJson('/api/v1/status'), getJson('/api/v1/topology')]);
      Object.assign(state, { status, topology });
      renderAll();
      document.body.dataset.revision = String(topology.revision);
      document.body.dataset.refreshedBy = reason;
      // the last refreshes and what triggered them (an event, the poll, a token): for humans and tests
      document.body.dataset.refreshes = [...(document.body.dataset.refreshes ?? '').split(' ').filter(Boolean), reason].slice(-20).join(' ');
      setText('updated', `updated ${new Date().toLocaleTimeString()} (${reason})`);
    } catch (err) {
      if (err instanceof Unauthorized) await askToken();
      else setText('updated', `update failed: ${err.message}`);
    } finally {
      state.refreshing = undefined;
    }
    if (state.again) {
      const next = state.again;
      state.again = false;
      await refresh(next);
    }
  })();
  return state.refreshing;
}

let asking;
function askToken() {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    document.getElementById('token-error').hidden = token() === '';
    dialog.addEventListener(
      'close',
      () => {
        setToken(document.getElementById('token-input').value.trim());
        asking = undefined;
        resolve();
        restartEvents();
        void refresh('token');
      },
      { once: true },
    );
    dialog.showModal();
  });
  return asking;
}

let events;
function restartEvents() {
  events?.close();
  events = connectEvents(onMessage, (s) => {
    const el = document.getElementById('conn');
    el.dataset.state = s;
    el.textContent = s === 'open' ? 'events' : s === 'unavailable' ? 'no socket (token not usable as a subprotocol): polling' : 'reconnecting';
  });
}

function onMessage(msg) {
  switch (msg.type) {
    case 'stats':
      traffic.add(msg);
      renderAll();
      return;
    case 'hello':
      if (state.topology && msg.revision !== state.topology.revision) void refresh('event:hello');
      return;
    default:
      addEvent(msg);
      if (msg.type === 'config.applied') void refresh(`event:config.applied@${msg.revision}`);
      else void refresh(`event:${msg.type}`);
  }
}

restartEvents();
void refresh('load');
setInterval(() => void refresh('poll'), POLL_MS);
