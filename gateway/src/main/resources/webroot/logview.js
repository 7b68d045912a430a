// A job log viewer. The log is bytes, split into lines at newline bytes so that each line knows its
// byte offset (which the drone's time index refers to); ANSI codes become colours; the drone's
// "==> [i/n] step" lines start collapsible sections with the step's exit code and duration. Only the
// rows in view are in the page and new bytes are only appended, so a 50 MB log scrolls, searches and
// follows as a short one does.
import { get, api, esc, bytes } from './lib.js';
import { PLAIN, segments, endState, plain, html } from './ansi.js';

const ROW = 18; // px: .log-row's height in style.css
const OVERSCAN = 30;
const MAX_SPACER = 15_000_000; // px: browsers cap an element's height; beyond it rows are mapped to the scroll range
const SHOWN_CHARS = 20_000; // a longer line is shown cut; search still reads all of it
const MAX_MATCHES = 100_000;
const SHORT_LOG = 500; // lines: a passed job's log this short opens its steps
const ACTIVE = ['QUEUED', 'WAITING', 'ASSIGNED', 'RUNNING', 'UNSCHEDULABLE', 'RETRY_WAIT', 'HELD'];
const RUNNING = ['ASSIGNED', 'RUNNING'];
const FAILED = ['FAILED', 'TIMED_OUT'];

const STEP = /^==> \[(\d+)\/(\d+)\] (.*)$/;
const EXIT = /^==> exit (-?\d+) after (.+)$/;
const TIMED_OUT = /^==> timed out after (.+?) during /;
const STOPPED = /^==> stopped: (.*)$/;

const pad = (n, width = 2) => String(n).padStart(width, '0');
const timeText = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`; };

/** Lines, their byte offsets, the ANSI state each starts in, and the sections they fall into. */
class LogLines {
  constructor() {
    this.text = [];
    this.offset = [];
    this.startState = [];
    this.state = PLAIN;
    this.sections = [];
    this.pending = new Uint8Array(0); // bytes after the last newline
    this.pendingText = '';
    this.bytes = 0; // bytes received
    this.decoder = new TextDecoder('utf-8');
  }

  get count() { return this.text.length + (this.pendingText ? 1 : 0); }

  lineText(index) { return index < this.text.length ? this.text[index] : this.pendingText; }

  /** Takes the next bytes of the log; returns the index of the first new complete line. */
  push(chunk) {
    const firstNew = this.text.length;
    let data = chunk;
    let base = this.bytes - this.pending.length;
    if (this.pending.length) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    this.bytes += chunk.length;
    const last = data.lastIndexOf(10);
    if (last < 0) {
      this.pending = data;
      this.pendingText = this.decoder.decode(data);
      return firstNew;
    }
    const lines = this.decoder.decode(data.subarray(0, last)).split('\n');
    let start = 0;
    for (const line of lines) {
      this.add(line, base + start);
      start = data.indexOf(10, start) + 1;
    }
    this.pending = data.slice(last + 1);
    this.pendingText = this.pending.length ? this.decoder.decode(this.pending) : '';
    return firstNew;
  }

  add(line, offset) {
    const index = this.text.length;
    this.text.push(line);
    this.offset.push(offset);
    this.startState.push(this.state);
    this.state = endState(line, this.state);
    let section = this.sections[this.sections.length - 1];
    if (line.startsWith('==> ')) {
      const step = STEP.exec(line);
      if (step) {
        this.sections.push({ kind: 'step', title: step[3], number: `${step[1]}/${step[2]}`, header: index, first: index + 1,
          last: index, exit: null, duration: null, ended: false, user: null });
        return;
      }
      if (section?.kind === 'step' && !section.ended) {
        const exit = EXIT.exec(line);
        const timedOut = TIMED_OUT.exec(line);
        const stopped = STOPPED.exec(line);
        if (exit) { section.exit = Number(exit[1]); section.duration = exit[2]; }
        else if (timedOut) { section.exit = 'timed out'; section.duration = timedOut[1]; }
        else if (stopped) section.exit = 'stopped';
        if (exit || timedOut || stopped) { section.last = index; section.ended = true; return; }
      }
    }
    if (!section || section.ended) {
      section = { kind: this.sections.length ? 'after' : 'setup', title: this.sections.length ? 'Finishing' : 'Preparing',
        header: null, first: index, last: index - 1, exit: null, duration: null, ended: false, user: null };
      this.sections.push(section);
    }
    section.last = index;
  }

  /** The section a line is in (its header or its content). */
  sectionOf(line) {
    let low = 0;
    let high = this.sections.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      const s = this.sections[middle];
      if ((s.header ?? s.first) <= line) low = middle; else high = middle - 1;
    }
    return this.sections[low];
  }
}

/**
 * The viewer of one job attempt's log. {@code element} stays the same node for its whole life, so
 * the run page can be drawn anew around it without losing the scroll position or the text.
 */
export class LogViewer {
  constructor({ runId, job, attempt, line, onAttempt }) {
    this.runId = runId;
    this.job = job;
    this.attempt = attempt ?? null; // null: the latest, learnt from the first answer
    this.chosenAttempt = attempt != null;
    this.targetLine = line ?? null;
    this.onAttempt = onAttempt;
    this.lines = new LogLines();
    this.times = [];
    this.timesFrom = 0;
    this.complete = false;
    this.missing = false;
    this.stopped = false;
    this.follow = true;
    this.rows = [];
    this.rowsDirty = true;
    this.query = '';
    this.matches = [];
    this.matchesScanned = 0;
    this.current = -1;
    this.element = document.createElement('section');
    this.element.className = 'log-view';
    this.element.setAttribute('aria-label', 'job log');
    this.element.innerHTML = `<div class="title"><h2 class="log-title"></h2><span class="muted" id="log-status" role="status"></span></div>
      <div class="log-tools">
        <label>Attempt <select class="log-attempt"></select></label>
        <label><input type="checkbox" class="log-times-toggle" checked> timestamps</label>
        <input type="search" class="log-search" placeholder="Search the log" aria-label="Search the log">
        <button type="button" class="log-prev" aria-label="previous match">↑</button>
        <button type="button" class="log-next" aria-label="next match">↓</button>
        <span class="muted log-matches" aria-live="polite"></span>
        <button type="button" class="log-expand">Expand all</button> <button type="button" class="log-collapse">Collapse all</button>
        <a class="log-raw" target="_blank" rel="noopener">raw</a>
      </div>
      <div class="log-scroll" id="log-text" tabindex="0" role="log" aria-label="log lines"><div class="log-spacer"><div class="log-window"></div></div></div>`;
    this.scroller = this.element.querySelector('.log-scroll');
    this.spacer = this.element.querySelector('.log-spacer');
    this.window = this.element.querySelector('.log-window');
    this.wire();
    this.describe();
  }

  get key() { return `${this.job.id}/${this.chosenAttempt ? this.attempt : 'latest'}`; }

  wire() {
    let frame = 0;
    this.scroller.addEventListener('scroll', () => {
      const { scrollTop, clientHeight, scrollHeight } = this.scroller;
      this.follow = scrollTop + clientHeight >= scrollHeight - 2 * ROW;
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; this.draw(); });
    });
    this.element.querySelector('.log-attempt').addEventListener('change', (event) => this.onAttempt(Number(event.target.value)));
    this.element.querySelector('.log-times-toggle').addEventListener('change', (event) => {
      this.element.classList.toggle('no-times', !event.target.checked);
    });
    const search = this.element.querySelector('.log-search');
    let typing = 0;
    search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => this.search(search.value), 200); });
    search.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); clearTimeout(typing); if (search.value.toLowerCase() !== this.query) this.search(search.value); else this.step(event.shiftKey ? -1 : 1); }
      if (event.key === 'Escape') { search.value = ''; this.search(''); }
    });
    this.element.querySelector('.log-prev').addEventListener('click', () => this.step(-1));
    this.element.querySelector('.log-next').addEventListener('click', () => this.step(1));
    this.element.querySelector('.log-expand').addEventListener('click', () => this.setAll(true));
    this.element.querySelector('.log-collapse').addEventListener('click', () => this.setAll(false));
    this.window.addEventListener('click', (event) => {
      const toggle = event.target.closest('[data-section]');
      if (toggle) { this.toggle(Number(toggle.dataset.section)); return; }
      const number = event.target.closest('a.ln');
      if (number) {
        event.preventDefault();
        history.replaceState(null, '', number.getAttribute('href'));
        this.targetLine = Number(number.dataset.line);
        this.draw();
      }
    });
  }

  /** The job as the run page last saw it: its state decides what opens, and whether to poll. */
  update(job) {
    const wasActive = ACTIVE.includes(this.job.state);
    this.job = job;
    this.describe();
    if (!this.chosenAttempt && this.attempt !== null && job.attempt > this.attempt && RUNNING.includes(job.state)) {
      this.onAttempt(null, true); // a new attempt started: follow it
      return;
    }
    if ((this.missing || (this.complete === false && !this.timer && !this.polling)) && RUNNING.includes(job.state)) this.poll();
    if (wasActive !== ACTIVE.includes(job.state)) { this.rowsDirty = true; this.draw(); }
  }

  describe() {
    const job = this.job;
    this.element.querySelector('.log-title').textContent = `Log of ${job.name}${this.attempt ? ` · attempt ${this.attempt}` : ''}`;
    const picker = this.element.querySelector('.log-attempt');
    const newest = Math.max(job.attempt ?? 1, this.attempt ?? 1);
    const options = Array.from({ length: newest }, (_, i) => newest - i)
      .map((n) => `<option value="${n}"${n === (this.attempt ?? newest) ? ' selected' : ''}>${n}${n === newest ? ' (latest)' : ''}</option>`).join('');
    if (picker.innerHTML !== options) picker.innerHTML = options;
    picker.closest('label').classList.toggle('hidden', newest < 2);
    const raw = this.element.querySelector('.log-raw');
    raw.href = `/api/v1/jobs/${job.id}/log${this.attempt ? `?attempt=${this.attempt}` : ''}`;
    this.status();
  }

  status() {
    const target = this.element.querySelector('#log-status');
    if (!target) return;
    if (this.missing) {
      const job = this.job;
      target.innerHTML = RUNNING.includes(job.state) ? '<span class="dot live pulse"></span> starting'
        : ACTIVE.includes(job.state) ? `not started: ${esc(job.waiting?.message ?? job.state.toLowerCase())}`
          : `this job did not run${job.reason ? `: ${esc(job.reason)}` : ` (${esc(job.state.toLowerCase())})`}`;
    } else if (this.complete) {
      target.textContent = `complete, ${this.lines.count} lines, ${bytes(this.lines.bytes)}`;
    } else {
      target.innerHTML = `<span class="dot live pulse"></span> following · ${this.lines.count} lines`;
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reads what is new, then again a second later until the log is complete. */
  async poll() {
    if (this.stopped || this.polling) return;
    this.polling = true;
    clearTimeout(this.timer);
    this.timer = null;
    try {
      const query = new URLSearchParams({ offset: String(this.lines.bytes) });
      if (this.attempt) query.set('attempt', String(this.attempt));
      const response = await get(`/jobs/${this.job.id}/log?${query}`);
      if (response.status === 404) {
        this.missing = true;
      } else if (response.ok) {
        this.missing = false;
        if (!this.attempt) { this.attempt = Number(response.headers.get('x-log-attempt')) || null; this.describe(); }
        const reader = response.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done || this.stopped) break;
          this.take(value);
        }
        this.complete = response.headers.get('x-log-complete') === 'true';
        await this.readTimes();
      }
    } catch (error) { /* the next poll tries again */ }
    this.polling = false;
    if (this.stopped) return;
    this.status();
    this.rowsDirty = true;
    this.draw(true);
    // A job that has not started has no log yet: the run page calls update() when it starts.
    const again = !this.complete && (!this.missing || RUNNING.includes(this.job.state));
    if (again) this.timer = setTimeout(() => this.poll(), 1000);
  }

  take(bytesRead) {
    const first = this.lines.push(bytesRead);
    if (this.query) this.scanMatches(first);
    this.rowsDirty = true;
    const now = performance.now();
    if (!this.lastDraw || now - this.lastDraw > 150) { this.draw(true); this.status(); }
  }

  async readTimes() {
    try {
      const query = new URLSearchParams({ from: String(this.timesFrom) });
      if (this.attempt) query.set('attempt', String(this.attempt));
      const answer = await api(`/jobs/${this.job.id}/log/times?${query}`);
      for (const entry of answer.times ?? []) {
        if (entry[0] >= this.timesFrom) this.times.push(entry);
      }
      if (this.times.length) this.timesFrom = this.times[this.times.length - 1][0] + 1;
    } catch (error) { /* a log without a time index shows no times */ }
    this.element.classList.toggle('no-times-known', this.times.length === 0);
  }

  /** When the line at a byte offset was written: the last index entry at or before it. */
  timeOf(offset) {
    const times = this.times;
    if (!times.length || times[0][0] > offset) return null;
    let low = 0;
    let high = times.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (times[middle][0] <= offset) low = middle; else high = middle - 1;
    }
    return times[low][1];
  }

  // ---- sections and rows ----------------------------------------------------------------------

  failed(section) { return section.exit !== null && section.exit !== 0; }

  isOpen(section) {
    if (section.user !== null) return section.user;
    const sections = this.lines.sections;
    const last = section === sections[sections.length - 1];
    if (this.failed(section)) return true;
    if (!this.complete) return last && !section.ended;
    if (FAILED.includes(this.job.state)) return last && !sections.some((s) => this.failed(s));
    // A passed job: a short log is shown whole, a long one as its steps' headers.
    return section.kind === 'step' && this.lines.count <= SHORT_LOG;
  }

  toggle(index) {
    const section = this.lines.sections[index];
    section.user = !this.isOpen(section);
    this.rowsDirty = true;
    this.draw();
  }

  setAll(open) {
    for (const section of this.lines.sections) section.user = open;
    this.rowsDirty = true;
    this.draw();
  }

  /** Rows in view order: a section's header (its line, or -index-1 for one without), then its lines when open. */
  buildRows() {
    const rows = [];
    const { sections } = this.lines;
    const complete = this.lines.text.length;
    sections.forEach((section, index) => {
      rows.push(section.header ?? -index - 1);
      if (!this.isOpen(section)) return;
      for (let line = section.first; line <= section.last; line += 1) rows.push(line);
    });
    if (this.lines.pendingText) {
      const last = sections[sections.length - 1];
      if (!last || this.isOpen(last)) rows.push(complete);
    }
    this.rows = rows;
    this.rowsDirty = false;
    // Sized before anything scrolls: the browser clamps scrollTop to the old height.
    this.spacer.style.height = `${Math.min(MAX_SPACER, rows.length * ROW)}px`;
  }

  // ---- drawing --------------------------------------------------------------------------------

  draw(appended = false) {
    if (this.rowsDirty) this.buildRows();
    this.lastDraw = performance.now();
    const rows = this.rows;
    const height = this.scroller.clientHeight || 400;
    const visible = Math.ceil(height / ROW);
    const scaled = rows.length * ROW > MAX_SPACER;
    if (appended && this.follow && !this.targetLine) this.scroller.scrollTop = this.scroller.scrollHeight;
    if (this.targetLine && this.lines.count >= this.targetLine && !this.targetShown) this.reveal(this.targetLine - 1, true);
    const top = this.scroller.scrollTop;
    let first;
    let offsetPx;
    if (scaled) {
      const range = Math.max(1, MAX_SPACER - height);
      first = Math.floor((top / range) * Math.max(0, rows.length - visible));
      offsetPx = top;
    } else {
      first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
      offsetPx = first * ROW;
    }
    const end = Math.min(rows.length, first + visible + (scaled ? 2 : 2 * OVERSCAN));
    this.window.style.transform = `translateY(${offsetPx}px)`;
    const html = [];
    for (let r = first; r < end; r += 1) html.push(this.row(rows[r]));
    // Rows are drawn anew: the control that had the keyboard focus gets it back.
    const focused = this.window.contains(document.activeElement) ? document.activeElement : null;
    const section = focused?.dataset.section;
    const line = focused?.classList.contains('ln') ? focused.dataset.line : null;
    this.window.innerHTML = html.join('');
    const again = section !== undefined && section !== null ? this.window.querySelector(`[data-section="${section}"]`)
      : line ? this.window.querySelector(`a.ln[data-line="${line}"]`) : null;
    if (again) again.focus({ preventScroll: true });
  }

  row(key) {
    const { sections } = this.lines;
    if (key < 0) return this.header(sections[-key - 1], -key - 1, null);
    const section = this.lines.sectionOf(key);
    if (section && section.header === key) return this.header(section, sections.indexOf(section), key);
    return this.line(key);
  }

  lineLink(index) {
    const query = new URLSearchParams({ job: String(this.job.id) });
    if (this.attempt) query.set('attempt', String(this.attempt));
    query.set('line', String(index + 1));
    return `#/runs/${this.runId}?${query}`;
  }

  stamp(index) {
    const ms = index < this.lines.offset.length ? this.timeOf(this.lines.offset[index]) : null;
    return ms ? `<span class="ts" title="${new Date(ms).toISOString()}">${timeText(ms)}</span>` : '<span class="ts"></span>';
  }

  line(index) {
    let text = this.lines.lineText(index) ?? '';
    let cut = '';
    if (text.length > SHOWN_CHARS) { cut = ` … (${text.length - SHOWN_CHARS} more characters in the raw log)`; text = text.slice(0, SHOWN_CHARS); }
    const state = index < this.lines.startState.length ? this.lines.startState[index] : this.lines.state;
    const current = this.current >= 0 && this.matches[this.current] === index;
    const body = html(segments(text, state).parts, this.query, current ? 'current' : '');
    const target = this.targetLine === index + 1 ? ' target' : '';
    // No white space between the elements: rows are white-space: pre.
    return `<div class="log-row${target}" data-line="${index + 1}"><a class="ln" href="${this.lineLink(index)}" data-line="${index + 1}" `
      + `id="L${index + 1}">${index + 1}</a>${this.stamp(index)}<span class="text">${body}${cut ? `<span class="muted">${esc(cut)}</span>` : ''}</span></div>`;
  }

  header(section, index, line) {
    const open = this.isOpen(section);
    const lines = Math.max(0, section.last - section.first + 1);
    let outcome = '';
    if (section.exit !== null) {
      outcome = section.exit === 0 ? '<span class="exit-ok">exit 0</span>' : `<span class="exit-bad">${esc(typeof section.exit === 'number' ? `exit ${section.exit}` : section.exit)}</span>`;
    } else if (section.kind === 'step' && !this.complete) {
      outcome = '<span class="meta">running</span>';
    }
    const title = section.kind === 'step' ? `[${section.number}] ${plain(section.title)}` : section.title;
    const stamp = line === null ? '<span class="ts"></span>' : this.stamp(line);
    const number = line === null ? '<span class="ln"></span>'
      : `<a class="ln" href="${this.lineLink(line)}" data-line="${line + 1}" id="L${line + 1}">${line + 1}</a>`;
    const target = line !== null && this.targetLine === line + 1 ? ' target' : '';
    return `<div class="log-row section${this.failed(section) ? ' failed' : ''}${target}" data-line="${line === null ? '' : line + 1}">${number}${stamp}`
      + `<button type="button" data-section="${index}" aria-expanded="${open}"><span class="chevron" aria-hidden="true">${open ? '▾' : '▸'}</span>`
      + `<span class="step-title">${esc(title)}</span>${outcome ? ` ${outcome}` : ''}${section.duration ? ` <span class="meta">${esc(section.duration)}</span>` : ''}`
      + ` <span class="meta">${lines} line${lines === 1 ? '' : 's'}</span></button></div>`;
  }

  /** Opens the section of a line and scrolls it into the middle of the view. */
  reveal(index, asTarget = false) {
    const section = this.lines.sectionOf(index);
    if (section && !this.isOpen(section)) { section.user = true; this.rowsDirty = true; }
    if (this.rowsDirty) this.buildRows();
    const row = this.rows.indexOf(index);
    if (row < 0) return;
    if (asTarget) this.targetShown = true;
    this.follow = false;
    const height = this.scroller.clientHeight || 400;
    const total = this.rows.length * ROW;
    if (total > MAX_SPACER) {
      const visible = Math.ceil(height / ROW);
      this.scroller.scrollTop = (Math.max(0, row - 3) / Math.max(1, this.rows.length - visible)) * (MAX_SPACER - height);
    } else {
      this.scroller.scrollTop = Math.max(0, row * ROW - height / 3);
    }
  }

  // ---- search ---------------------------------------------------------------------------------

  search(text) {
    this.query = text.toLowerCase();
    this.matches = [];
    this.matchesScanned = 0;
    this.current = -1;
    if (this.query) this.scanMatches(0);
    if (this.matches.length) this.step(1);
    else { this.showMatches(); this.draw(); }
  }

  scanMatches(from) {
    const { text } = this.lines;
    for (let i = Math.max(from, this.matchesScanned); i < text.length && this.matches.length < MAX_MATCHES; i += 1) {
      if (plain(text[i]).toLowerCase().includes(this.query)) this.matches.push(i);
    }
    this.matchesScanned = text.length;
    this.showMatches();
  }

  step(direction) {
    if (!this.matches.length) return;
    this.current = (this.current + direction + this.matches.length) % this.matches.length;
    this.reveal(this.matches[this.current]);
    this.showMatches();
    this.draw();
  }

  showMatches() {
    const target = this.element.querySelector('.log-matches');
    if (!this.query) target.textContent = '';
    else if (!this.matches.length) target.textContent = 'no match';
    else target.textContent = `${this.current + 1} of ${this.matches.length}${this.matches.length >= MAX_MATCHES ? '+' : ''}`;
  }
}
