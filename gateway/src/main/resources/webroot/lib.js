// Small helpers shared by the UI's modules: API calls with the signed-in token, and formatting.
const TOKEN_KEY = 'buildswarm.token';

export const token = () => window.localStorage.getItem(TOKEN_KEY);
export function setToken(value) {
  if (value) window.localStorage.setItem(TOKEN_KEY, value);
  else window.localStorage.removeItem(TOKEN_KEY);
}

function headers(extra = {}) {
  const all = { accept: 'application/json', ...extra };
  if (token()) all.authorization = `Bearer ${token()}`;
  return all;
}

async function answer(response, path) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (error) { body = null; }
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? `${response.status} ${path}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

/** GET /api/v1{path} as JSON; throws an Error with .status and .body on a non-2xx answer. */
export async function api(path) {
  return answer(await fetch(`/api/v1${path}`, { headers: headers() }), path);
}

/** GET /api/v1{path} with the signed-in token, as the Response itself (for text and headers). */
export function get(path) {
  return fetch(`/api/v1${path}`, { headers: headers({ accept: '*/*' }) });
}

/**
 * Server-sent events read with fetch, so that the token travels in a header (EventSource cannot
 * send one). Calls onEvent(type, data) for each event and connects again 2 s after the stream ends;
 * returns a function that stops it.
 */
export function stream(path, onEvent) {
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`/api/v1${path}`, { headers: headers({ accept: 'text/event-stream' }) });
        if (response.ok && response.body) {
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done || stopped) break;
            buffer += value;
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let type = 'message';
              const data = [];
              for (const line of block.split('\n')) {
                if (line.startsWith('event:')) type = line.slice(6).trim();
                else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
              }
              if (data.length) onEvent(type, data.join('\n'));
              end = buffer.indexOf('\n\n');
            }
          }
        }
      } catch (error) { /* connect again below */ }
      await new Promise((resolve) => { setTimeout(resolve, 2000); });
    }
  })();
  return () => { stopped = true; };
}

/** A mutating call with a JSON body. */
export async function send(method, path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method, headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body ?? {}),
  });
  return answer(response, path);
}

export const esc = (text) => String(text ?? '').replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
export const when = (ms) => (ms ? new Date(ms).toLocaleString() : '');
export const clock = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '');
export function took(from, to) {
  if (!from) return '';
  const seconds = ((to ?? Date.now()) - from) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}m`;
}
export const badge = (state) => `<span class="state ${esc(state)}">${esc(String(state).toLowerCase().replace('_', ' '))}</span>`;
export function bytes(count) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}
