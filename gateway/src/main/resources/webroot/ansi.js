// ANSI escape codes in job logs: SGR colours and styles become classes (so both themes can choose
// readable colours), 256-colour and true-colour values inline styles; cursor and OSC codes are dropped.
// A line starts in the state the line before it left (colours carry over lines, as in a terminal).
import { esc } from './lib.js';

export const PLAIN = Object.freeze({});

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-character escapes.
const ESCAPES = /\x1b(?:\[([0-9;:?<=>]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
const LEVELS = [0, 95, 135, 175, 215, 255];
const hex = (r, g, b) => `#${[r, g, b].map((v) => Math.max(0, Math.min(255, v)).toString(16).padStart(2, '0')).join('')}`;

function color256(n) {
  if (n < 16) return n;
  if (n < 232) {
    const v = n - 16;
    return hex(LEVELS[Math.floor(v / 36)], LEVELS[Math.floor(v / 6) % 6], LEVELS[v % 6]);
  }
  const gray = 8 + 10 * (n - 232);
  return hex(gray, gray, gray);
}

/** The state after one SGR sequence's parameters ("1;31", "38;5;208", "" = reset). */
export function applySgr(state, parameters) {
  const codes = parameters === '' ? [0] : parameters.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  const next = { ...state };
  for (let i = 0; i < codes.length; i += 1) {
    const code = codes[i];
    if (code === 0) { for (const key of Object.keys(next)) delete next[key]; }
    else if (code === 1) next.b = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.i = true;
    else if (code === 4) next.u = true;
    else if (code === 7) next.inv = true;
    else if (code === 9) next.s = true;
    else if (code === 22) { delete next.b; delete next.dim; }
    else if (code === 23) delete next.i;
    else if (code === 24) delete next.u;
    else if (code === 27) delete next.inv;
    else if (code === 29) delete next.s;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code === 39) delete next.fg;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 49) delete next.bg;
    else if (code === 38 || code === 48) {
      const key = code === 38 ? 'fg' : 'bg';
      if (codes[i + 1] === 5 && i + 2 < codes.length) { next[key] = color256(codes[i + 2]); i += 2; }
      else if (codes[i + 1] === 2 && i + 4 < codes.length) { next[key] = hex(codes[i + 2], codes[i + 3], codes[i + 4]); i += 4; }
      else i = codes.length;
    }
  }
  return Object.keys(next).length ? Object.freeze(next) : PLAIN;
}

const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
const visible = (text) => text.replace(CONTROLS, (c) => (c === '\x7f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));

/**
 * A line as segments of text with their state, and the state it leaves. A carriage return starts
 * the line over (progress bars), as a terminal would show it once done.
 */
export function segments(line, state) {
  let text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const parts = [];
  let current = state;
  let last = 0;
  const take = (piece) => {
    const cr = piece.lastIndexOf('\r');
    if (cr >= 0) { parts.length = 0; piece = piece.slice(cr + 1); }
    if (piece) parts.push({ text: visible(piece), state: current });
  };
  if (text.indexOf('\x1b') < 0) {
    take(text);
    return { parts, end: current };
  }
  ESCAPES.lastIndex = 0;
  for (let match = ESCAPES.exec(text); match; match = ESCAPES.exec(text)) {
    if (match.index > last) take(text.slice(last, match.index));
    if (match[2] === 'm') current = applySgr(current, match[1] ?? '');
    last = ESCAPES.lastIndex;
  }
  if (last < text.length) take(text.slice(last));
  return { parts, end: current };
}

/** The state a line leaves, without building its segments (for lines not on screen). */
export function endState(line, state) {
  if (line.indexOf('\x1b') < 0) return state;
  let current = state;
  ESCAPES.lastIndex = 0;
  for (let match = ESCAPES.exec(line); match; match = ESCAPES.exec(line)) {
    if (match[2] === 'm') current = applySgr(current, match[1] ?? '');
  }
  return current;
}

/** The text a reader sees: no escape codes, carriage returns applied. */
export function plain(line) {
  if (line.indexOf('\x1b') < 0 && line.indexOf('\r') < 0) return line;
  return segments(line, PLAIN).parts.map((part) => part.text).join('');
}

function classes(state) {
  const names = [];
  let { fg, bg } = state;
  if (state.inv) { [fg, bg] = [bg ?? 'inverse-bg', fg ?? 'inverse-fg']; }
  let style = '';
  if (typeof fg === 'number') names.push(`fg-${fg}`);
  else if (fg === 'inverse-fg') style += 'color:var(--log-bg);';
  else if (fg) style += `color:${fg};`;
  if (typeof bg === 'number') names.push(`bg-${bg}`);
  else if (bg === 'inverse-bg') style += 'background:var(--text);';
  else if (bg) style += `background:${bg};`;
  for (const key of ['b', 'dim', 'i', 'u', 's']) if (state[key]) names.push(key);
  return { names: names.join(' '), style };
}

/**
 * HTML of a line's segments, with each case-insensitive occurrence of {@code needle} (lower case) marked.
 * A mark never crosses a colour change: good enough for finding the line.
 */
export function html(parts, needle, markClass = '') {
  return parts.map((part) => {
    const { names, style } = classes(part.state);
    let body;
    if (needle) {
      const lower = part.text.toLowerCase();
      body = '';
      let from = 0;
      for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
        body += `${esc(part.text.slice(from, at))}<mark class="${markClass}">${esc(part.text.slice(at, at + needle.length))}</mark>`;
        from = at + needle.length;
      }
      body += esc(part.text.slice(from));
    } else {
      body = esc(part.text);
    }
    return names || style ? `<span${names ? ` class="${names}"` : ''}${style ? ` style="${style}"` : ''}>${body}</span>` : body;
  }).join('');
}
