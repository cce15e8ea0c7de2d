// Tiny DOM helpers: every value from the configuration goes in as text, never as HTML.

/** h('td', { class: 'num' }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style') for (const [p, val] of Object.entries(v)) el.style.setProperty(p, val);
    else if (k.startsWith('data-')) el.setAttribute(k, String(v));
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

export function setText(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = String(text);
}

export function fmtRate(n) {
  if (!n) return '0';
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function pct(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : `${(Math.round(n * 10) / 10).toString()}%`;
}
