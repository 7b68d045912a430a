// buildswarm UI: plain ES modules, no build step. State comes from /api/v1; live updates over SSE.
// The overview is polled too: it is how the page learns that it is looking at a snapshot.
import { api, get, stream, send, token, setToken, esc, when, clock, took, badge, bytes } from './lib.js';
import { jobGraph } from './graph.js';
import { LogViewer } from './logview.js';

const view = document.getElementById('view');
const liveDot = document.getElementById('live');
const liveText = document.getElementById('live-text');
const account = document.getElementById('account');
const flash = document.getElementById('flash');

const POLL_MS = 3000;
let overview = null; // the last /api/v1/overview answer (live or snapshot)
let me = null; // { name, role } of the signed-in token

// ---- freshness ---------------------------------------------------------------------------------

function showFreshness(state, text) {
  liveDot.className = `dot ${state}`;
  liveDot.title = text;
  liveText.textContent = text;
  document.body.dataset.freshness = state;
}

async function refreshOverview() {
  try {
    overview = await api('/overview');
    overviewFailure = null;
    if (overview.live) showFreshness('live', 'live');
    else showFreshness('stale', `snapshot from ${clock(overview.snapshotAt)}`);
  } catch (error) {
    overview = null;
    overviewFailure = error;
    if (error.status === 401) showFreshness('down', 'sign in: this swarm shows nothing without a token');
    else showFreshness('down', error.status ? 'orchestrator unreachable, no snapshot yet' : 'gateway unreachable');
  }
  return overview;
}

// ---- actions -----------------------------------------------------------------------------------

function say(message, bad = false) {
  flash.textContent = message;
  flash.className = bad ? 'flash bad' : 'flash';
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { flash.className = 'flash hidden'; }, 6000);
}

async function act(label, method, path, body) {
  try {
    const result = await send(method, path, body);
    say(`${label}: done`);
    renderSoon();
    return result;
  } catch (error) {
    say(`${label}: ${error.message}`, true);
    return null;
  }
}

const can = (role) => me && ['viewer', 'developer', 'admin'].indexOf(me.role) >= ['viewer', 'developer', 'admin'].indexOf(role);
const button = (action, label, attrs = '', role = 'developer') =>
  `<button data-action="${action}" ${attrs} ${can(role) ? '' : `disabled title="needs a ${role} token"`}>${label}</button>`;

// ---- views -------------------------------------------------------------------------------------

function tiles(o, extra = '') {
  const s = o.status;
  const queued = (s.jobsByState.QUEUED ?? 0);
  const unschedulable = (s.jobsByState.UNSCHEDULABLE ?? 0);
  const running = (s.jobsByState.RUNNING ?? 0) + (s.jobsByState.ASSIGNED ?? 0);
  return `<div class="tiles">
    <div class="tile"><b>${s.activeRuns}</b><span>active runs</span></div>
    <div class="tile"><b>${running}</b><span>jobs running</span></div>
    <div class="tile"><b>${queued}</b><span>queued${s.oldestQueuedAt ? ` · oldest ${took(s.oldestQueuedAt)}` : ''}</span></div>
    <div class="tile ${unschedulable ? 'warn' : ''}"><b>${unschedulable}</b><span>unschedulable</span></div>
    <div class="tile ${s.dronesAccepting < s.dronesOnline ? 'warn' : ''}"><b>${s.coresBusy}/${s.coresTotal}</b><span>cores busy
      on ${s.dronesOnline} drone(s) · ${s.coresFree ?? 0} free${s.dronesAccepting < s.dronesOnline
        ? ` · ${s.dronesOnline - s.dronesAccepting} take no new work` : ''}</span></div>
    <div class="tile ${s.storeAvailable ? '' : 'bad'}"><b>${s.storeAvailable ? 'ok' : 'down'}</b><span>store</span></div>
    ${extra}
  </div>`;
}

/** Where a run's files came from, as HTML: branch or directory, short commit, its first line and author. */
function sourceText(source) {
  if (!source || source.kind === 'none') return '<span class="muted">no source</span>';
  const branch = source.ref ? String(source.ref).replace(/^refs\/heads\//, '').replace(/^refs\/tags\//, 'tag ') : null;
  const where = source.kind === 'git' ? (branch ?? source.location) : source.location;
  const commit = source.commit;
  const sha = commit?.sha ?? (source.kind === 'git' ? source.revision : null);
  return `<span class="source" title="${esc(source.location ?? '')}"><span class="branch">${esc(where ?? '')}</span>`
    + (sha ? ` <code>${esc(String(sha).slice(0, 7))}</code>` : '')
    + (commit?.title ? ` <span class="commit-title">${esc(commit.title)}</span>` : '')
    + (commit?.author ? ` <span class="muted">— ${esc(commit.author.replace(/\s*<[^>]*>$/, ''))}</span>` : '')
    + '</span>';
}

/** Job states in the order people read a run's progress, whatever order the counts arrive in. */
const STATE_ORDER = ['FAILED', 'TIMED_OUT', 'UNSCHEDULABLE', 'HELD', 'RUNNING', 'ASSIGNED', 'QUEUED', 'WAITING', 'RETRY_WAIT',
  'SUCCEEDED', 'CACHED', 'SKIPPED', 'CANCELLED'];
const stateRank = (state) => { const at = STATE_ORDER.indexOf(state); return at < 0 ? STATE_ORDER.length : at; };
const jobCounts = (counts) => Object.entries(counts).sort(([a], [b]) => stateRank(a) - stateRank(b) || a.localeCompare(b))
  .map(([s, n]) => `${n} ${esc(s.toLowerCase().replace('_', ' '))}`).join(', ');

/** A run's duration, counting on while it runs (the page's clock ticks every [data-since] element). */
const ticking = (from, to) => (to || !from ? took(from, to) : `<span data-since="${from}">${took(from)}</span>`);

function runRows(runs) {
  return runs.map((run) => `
    <tr class="clickable" data-href="#/runs/${run.id}">
      <td><a href="#/runs/${run.id}">#${run.id}</a></td><td>${esc(run.project)}${run.pipeline && run.pipeline !== run.project
        ? `<div class="muted small">${esc(run.pipeline)}</div>` : ''}</td><td>${badge(run.state)}</td><td>${sourceText(run.source)}</td>
      <td>${jobCounts(run.jobCounts)}</td>
      <td class="muted">${esc(String(run.trigger).toLowerCase())} · ${esc(run.requestedBy ?? '')}</td>
      <td class="muted">${when(run.createdAt)}</td><td class="muted">${ticking(run.createdAt, run.finishedAt)}</td>
    </tr>`).join('');
}

function runsTable(runs) {
  return `<div class="table-wrap"><table><thead><tr><th>Run</th><th>Project</th><th>State</th><th>Source</th><th>Jobs</th><th>Trigger</th>
    <th>Started</th><th>Took</th></tr></thead><tbody>${runRows(runs) || '<tr><td colspan="8" class="muted">No runs yet. '
    + 'Try <code>swarm run</code> or “New run”.</td></tr>'}</tbody></table></div>`;
}

/** Why a job that could run does not (every waiting, queued or held job says), as HTML; '' when it runs or ended. */
function waitText(job) {
  const wait = job.waiting;
  if (!wait) return '';
  return `<span class="wait" data-wait-code="${esc(wait.code)}" title="${esc(wait.code.toLowerCase().replaceAll('_', ' '))}">`
    + `${esc(wait.message)}</span>`;
}

function queueTable(queue) {
  const rows = queue.jobs.map((q) => `
    <tr class="clickable" data-href="#/runs/${q.job.runId}?job=${q.job.id}">
      <td><a href="#/runs/${q.job.runId}?job=${q.job.id}">${esc(q.job.name)}</a></td><td>#${q.job.runId} ${esc(q.project)}</td><td>${badge(q.job.state)}</td>
      <td>${q.job.cores}</td><td>${esc(q.job.labels.join(', '))}</td><td class="muted">${took(q.readySince)}</td>
      <td class="reason">${waitText(q.job) || esc(q.job.reason ?? (q.notBefore ? `retry at ${clock(q.notBefore)}` : ''))}</td>
    </tr>`).join('');
  return `<div class="table-wrap"><table class="queue"><thead><tr><th>Job</th><th>Run</th><th>State</th><th>Cores</th><th>Labels</th>
    <th>Waiting</th><th>Why</th></tr></thead><tbody>${rows
    || '<tr><td colspan="7" class="muted">Nothing is waiting for a drone.</td></tr>'}</tbody></table></div>
    ${queue.total > queue.jobs.length ? `<p class="muted">and ${queue.total - queue.jobs.length} more</p>` : ''}`;
}

function dronesTable(drones) {
  const rows = drones.map((d) => {
    const share = d.cores ? Math.round((100 * d.busyCores) / d.cores) : 0;
    const memory = d.memoryTotalBytes > 0 ? `${bytes(d.memoryTotalBytes - d.memoryAvailableBytes)} / ${bytes(d.memoryTotalBytes)}` : '';
    const actions = ['online', 'grounded', 'unavailable'].includes(d.state)
      ? button('drain', 'Drain', `data-drone="${esc(d.name)}"`, 'admin') + button('pause', 'Pause', `data-drone="${esc(d.name)}"`, 'admin')
      : ['draining', 'paused'].includes(d.state) ? button('resume', 'Resume', `data-drone="${esc(d.name)}"`, 'admin') : '';
    const unsandboxed = d.sandbox && !d.sandbox.startsWith('bubblewrap');
    const sandbox = d.sandbox ? `<div class="small sandbox${unsandboxed ? ' warning' : ''}" title="${esc(d.sandbox)}">sandbox: ${esc(d.sandbox.split(':')[0])}${unsandboxed ? ` — ${esc(d.sandbox.substring(d.sandbox.indexOf(':') + 1).trim())}` : ''}</div>` : '';
    return `<tr data-drone-row="${esc(d.name)}"><td>${esc(d.name)}<div class="muted small">${esc(d.host ?? '')}</div>${sandbox}</td>
      <td><span class="drone-state ${esc(d.state)}">${esc(d.state)}</span>${d.reason
        ? `<div class="reason">${esc(d.reason)}</div>` : ''}</td>
      <td><span class="bar" title="${share}%"><span style="width:${share}%"></span></span> ${d.busyCores}/${d.cores}</td>
      <td>${esc(d.labels.join(', '))}</td><td>${d.load1 >= 0 ? d.load1.toFixed(2) : ''}</td><td>${memory}</td>
      <td class="muted">${d.runningJobs.length ? d.runningJobs.map((j) => `job ${esc(j)}`).join(', ') : ''}</td>
      <td class="muted">${clock(d.lastSeenAt)}</td><td class="actions">${actions}</td></tr>`;
  }).join('');
  return `<div class="table-wrap"><table><thead><tr><th>Drone</th><th>State</th><th>Cores</th><th>Labels</th><th>Load</th><th>Memory</th>
    <th>Running</th><th>Last seen</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>${rows
    || '<tr><td colspan="9" class="muted">No drones have joined.</td></tr>'}</tbody></table></div>`;
}

/** Why the overview could not be read, when it could not (401: reads need a token). */
let overviewFailure = null;

function needOverview() {
  if (!overview && overviewFailure?.status === 401) throw overviewFailure;
  if (!overview) throw new Error('the swarm cannot be reached and there is no snapshot yet');
  return overview;
}

/** The build cache's tile: how often a tool found its outputs at this gateway, and what that saved. */
function buildCacheTile(cache) {
  if (!cache) return '';
  const rate = cache.hitRate == null ? 'unused' : `${Math.round(cache.hitRate * 100)}%`;
  return `<div class="tile" id="build-cache-tile"><b>${rate}</b><span>build cache hits · ${esc(bytes(cache.bytesServed))}
    served · ${cache.entries ?? '?'} entries, ${esc(bytes(cache.bytes ?? 0))}${cache.savedSeconds
      ? ` · ${esc(took(1, 1 + cache.savedSeconds * 1000))} of build time saved` : ''}</span></div>`;
}

/** The build cache's summary, asked at most every 10 s (the overview redraws on every live event). */
let buildCacheAsked = { at: 0, summary: null };
async function buildCacheSummary() {
  if (Date.now() - buildCacheAsked.at > 10_000) {
    try {
      buildCacheAsked = { at: Date.now(), summary: await api('/build-cache') };
    } catch (error) {
      buildCacheAsked = { at: Date.now(), summary: null }; // the overview goes on without the tile
    }
  }
  return buildCacheAsked.summary;
}

async function showHome() {
  const o = needOverview();
  view.innerHTML = `${tiles(o, buildCacheTile(await buildCacheSummary()))}
    <div class="columns"><section><h2>Recent runs</h2>${runsTable(o.runs.runs.slice(0, 12))}</section>
    <section><h2>Queue</h2>${queueTable({ ...o.queue, jobs: o.queue.jobs.slice(0, 12) })}</section></div>
    <h2>Drones</h2>${dronesTable(o.drones.drones)}`;
}

/** The run list's filters and page, from the address: #/runs?project=shop&branch=main&state=failed&before=40 */
function runFilters() {
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const filters = {};
  for (const key of ['project', 'branch', 'state', 'before']) {
    if (query.get(key)) filters[key] = query.get(key);
  }
  return filters;
}

async function showRuns() {
  const filters = runFilters();
  let page;
  try {
    page = await api(`/runs?${new URLSearchParams({ limit: '50', ...filters })}`);
  } catch (error) {
    page = { runs: needOverview().runs.runs, nextBefore: null };
  }
  const runs = page.runs;
  const { before, ...kept } = filters;
  const older = page.nextBefore
    ? `<p><a href="#/runs?${new URLSearchParams({ ...kept, before: String(page.nextBefore) })}">Older runs →</a></p>` : '';
  const states = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];
  view.innerHTML = `<div class="title"><h2>Runs</h2>${button('new-run', 'New run')}</div>
    <form id="run-filters" class="filters">
      <label>Project <input name="project" value="${esc(filters.project ?? '')}"></label>
      <label>Branch <input name="branch" value="${esc(filters.branch ?? '')}"></label>
      <label>State <select name="state">${states.map((state) => `<option value="${state}"${
        (filters.state ?? '') === state ? ' selected' : ''}>${state || 'any'}</option>`).join('')}</select></label>
      <button type="submit">Filter</button>
    </form>
    <form id="new-run" class="panel hidden">
      <label>Project <input name="project" placeholder="from the pipeline's name"></label>
      <label>Pipeline (<code>.buildswarm.yml</code>)<textarea name="pipeline" rows="10" spellcheck="false">jobs:
  hello:
    steps:
      - run: echo hello from $BUILDSWARM_DRONE</textarea></label>
      <button type="submit">Start run</button> <span class="muted" id="new-run-problems"></span>
    </form>${runsTable(runs)}${older}`;
  view.querySelector('#run-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = {};
    for (const [key, value] of new FormData(event.target)) {
      if (String(value).trim()) chosen[key] = String(value).trim();
    }
    location.hash = `#/runs?${new URLSearchParams(chosen)}`;
  });
  view.querySelector('#new-run').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const created = await send('POST', '/runs', { project: form.get('project') || undefined, pipeline: form.get('pipeline') });
      location.hash = `#/runs/${created.id}`;
    } catch (error) {
      const problems = error.body?.error?.details;
      document.getElementById('new-run-problems').textContent = problems
        ? problems.map((p) => `line ${p.line}, column ${p.column}: ${p.message}`).join('; ') : error.message;
    }
  });
}

let logViewer = null; // the LogViewer on the run page, kept while the page is drawn anew around it

const FINAL_JOB = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'];
const ACTIVE_JOB = ['QUEUED', 'WAITING', 'ASSIGNED', 'RUNNING', 'UNSCHEDULABLE', 'RETRY_WAIT'];

/** The run page's address: #/runs/12?job=40&attempt=2&line=118 (job, attempt and line are optional). */
function runAddress() {
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const number = (key) => (query.get(key) && /^\d+$/.test(query.get(key)) ? Number(query.get(key)) : null);
  return { job: number('job'), attempt: number('attempt'), line: number('line') };
}
const jobLink = (runId, jobId) => `#/runs/${runId}?job=${jobId}`;

function testsText(tests) {
  if (!tests || !tests.total) return '';
  const parts = [];
  if (tests.failed + tests.errored) parts.push(`<span class="failed">${tests.failed + tests.errored} failed</span>`);
  parts.push(`<span class="passed">${tests.passed} passed</span>`);
  if (tests.skipped) parts.push(`${tests.skipped} skipped`);
  return `<span class="tests-summary" title="${tests.total} tests">${parts.join(', ')}</span>`;
}

async function showRun(id) {
  const detail = await api(`/runs/${id}`);
  const run = detail.run;
  const address = runAddress();
  const active = !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.state);
  const anyFailed = detail.jobs.some((job) => ['FAILED', 'CANCELLED'].includes(job.state));
  const rows = detail.jobs.map((job) => `
    <tr class="clickable ${job.id === address.job ? 'selected' : ''}" data-job="${job.id}">
      <td><a href="${jobLink(run.id, job.id)}"${job.id === address.job ? ' aria-current="true"' : ''}>${esc(job.name)}</a></td>
      <td>${badge(job.state)}${job.cache?.fromRun != null ? ' <span class="cached-mark">cached</span>' : ''}</td><td>${esc(job.drone ?? '')}</td><td>${job.cores}</td>
      <td>${job.attempt}</td><td class="muted">${ticking(job.startedAt, job.finishedAt)}</td><td>${testsText(job.tests)}</td>
      <td class="reason">${job.cache?.fromRun != null
        ? `cached from <a href="#/runs/${job.cache.fromRun}">run ${job.cache.fromRun}</a>` : waitText(job) || esc(job.reason ?? '')}</td>
      <td class="actions">${ACTIVE_JOB.includes(job.state)
        ? button('cancel-job', 'Cancel', `data-job-id="${job.id}" aria-label="Cancel ${esc(job.name)}"`) : ''}${FINAL_JOB.includes(job.state)
        && job.state !== 'SKIPPED' ? button('retry-job', 'Retry', `data-job-id="${job.id}" aria-label="Retry ${esc(job.name)}"`) : ''}${job.state === 'HELD'
        ? ['retry', 'failed', 'succeeded'].map((decision) => button('decide', decision === 'retry' ? 'Run again'
          : decision === 'failed' ? 'Mark failed' : 'Mark deployed', `data-job-id="${job.id}" data-decision="${decision}"`,
          'admin')).join(' ') : ''}</td>
    </tr>`).join('');
  const failures = detail.jobs.filter((job) => job.tests && (job.tests.failed + job.tests.errored) > 0);
  const tests = detail.tests && detail.tests.total ? `<section class="panel" aria-labelledby="tests-title"><h2 id="tests-title">Tests</h2>
      <p>${testsText(detail.tests)} <span class="muted">of ${detail.tests.total} in ${detail.jobs.filter((job) => job.tests?.total).length} job(s)</span></p>
      <div id="test-failures">${failures.length ? '<p class="muted">Loading failures…</p>' : ''}</div></section>` : '';
  view.innerHTML = `<p><a href="#/runs">← runs</a></p>
    <div class="title"><h2>Run #${run.id} · ${esc(run.project)}${run.pipeline && run.pipeline !== run.project
      ? ` <span class="run-name">${esc(run.pipeline)}</span>` : ''} ${badge(run.state)}</h2>
      <span class="muted">${esc(String(run.trigger).toLowerCase())} by ${esc(run.requestedBy ?? '?')} · ${when(run.createdAt)}
      · ${ticking(run.createdAt, run.finishedAt)}</span>
      <p class="run-source">${sourceText(run.source)}</p>
      ${active ? button('cancel-run', 'Cancel run', `data-run="${run.id}"`) : ''}
      ${!active && anyFailed ? button('retry-failed', 'Re-run failed jobs', `data-run="${run.id}"`) : ''}
      ${button('rerun', 'Re-run all (new run)', `data-run="${run.id}"`)}${detail.jobs.some((job) => job.cache)
        ? button('rerun', 'Re-run ignoring the cache', `data-run="${run.id}" data-no-cache="true"`) : ''}</div>
    <div class="graph">${jobGraph(detail.jobs, address.job, run.id)}</div>
    <div class="table-wrap"><table class="jobs"><thead><tr><th>Job</th><th>State</th><th>Drone</th><th>Cores</th><th>Attempt</th><th>Took</th>
    <th>Tests</th><th>Why</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>
    ${tests}<div id="log"></div>`;
  if (failures.length) showFailures(failures);
  const job = detail.jobs.find((each) => each.id === address.job);
  const target = document.getElementById('log');
  if (!job) { stopLog(); return; }
  const key = `${job.id}/${address.attempt ?? 'latest'}`;
  if (logViewer && logViewer.runId === run.id && logViewer.key === key) {
    const { scrollTop } = logViewer.scroller;
    target.appendChild(logViewer.element);
    logViewer.scroller.scrollTop = scrollTop;
    if (address.line && address.line !== logViewer.targetLine) { logViewer.targetLine = address.line; logViewer.targetShown = false; }
    logViewer.update(job);
    logViewer.draw();
    return;
  }
  stopLog();
  logViewer = new LogViewer({
    runId: run.id, job, attempt: address.attempt, line: address.line,
    onAttempt: (attempt, replace) => {
      const next = `${jobLink(run.id, job.id)}${attempt ? `&attempt=${attempt}` : ''}`;
      if (replace) history.replaceState(null, '', next); else location.hash = next;
      if (replace) render();
    },
  });
  target.appendChild(logViewer.element);
  logViewer.poll();
}

/** Test results of ended attempts, which do not change: the page is drawn anew on every event. */
const testResults = new Map();
const openFailures = new Set(); // summaries of the failures opened on the run page

/** Each failing test with its message and output, for every job that reported failures. */
async function showFailures(jobs) {
  const blocks = await Promise.all(jobs.map(async (job) => {
    try {
      const key = `${job.id}/${job.attempt}`;
      const results = testResults.get(key) ?? await api(`/jobs/${job.id}/tests`);
      if (FINAL_JOB.includes(job.state)) testResults.set(key, results);
      const items = results.failures.map((f) => `<details class="failure"><summary><b>${esc(f.classname ? `${f.classname}.` : '')}${esc(f.name)}</b>
        ${f.message ? `— ${esc(f.message.split('\n')[0])}` : ''} <span class="muted">${esc(f.kind)}</span></summary>
        ${f.detail ? `<pre>${esc(f.detail)}</pre>` : ''}${f.output ? `<h4>Output</h4><pre>${esc(f.output)}</pre>` : ''}</details>`).join('');
      return `<h3><a href="${jobLink(job.runId, job.id)}">${esc(job.name)}</a> ${testsText(job.tests)}</h3>${items}${results.truncated
        ? '<p class="muted">more failures than are kept; the job\'s report files have them all</p>' : ''}`;
    } catch (error) {
      return `<h3>${esc(job.name)}</h3><p class="muted">could not read its test results: ${esc(error.message)}</p>`;
    }
  }));
  const target = document.getElementById('test-failures');
  if (target) {
    // The page is drawn anew on live events: failures someone opened stay open.
    target.innerHTML = blocks.join('');
    target.querySelectorAll('details').forEach((details) => {
      const key = details.querySelector('summary').textContent;
      details.open = openFailures.has(key);
      details.addEventListener('toggle', () => { if (details.open) openFailures.add(key); else openFailures.delete(key); });
    });
  }
}

function stopLog() {
  if (logViewer) logViewer.stop();
  logViewer = null;
}

async function showQueue() {
  let queue;
  try {
    queue = await api('/queue?limit=500');
  } catch (error) {
    queue = needOverview().queue;
  }
  view.innerHTML = `<h2>Queue</h2><p class="muted">Jobs waiting for a drone, longest-waiting first. A job no drone could
    ever run is <b>unschedulable</b> and says why.</p>${queueTable(queue)}`;
}

async function showDrones() {
  let list;
  try {
    list = await api('/drones');
  } catch (error) {
    list = needOverview().drones;
  }
  view.innerHTML = `<h2>Drones</h2>${dronesTable(list.drones)}`;
}

async function showArtifacts() {
  const { projects } = await api('/artifacts');
  const sections = await Promise.all(projects.map(async (project) => {
    const { artifacts } = await api(`/artifacts/${encodeURIComponent(project)}`);
    const rows = artifacts.map((a) => `<tr class="clickable" data-href="#/artifacts/${esc(project)}/${esc(a.name)}">
      <td><a href="#/artifacts/${esc(project)}/${esc(a.name)}">${esc(a.name)}</a></td><td>${a.versions}</td><td>${esc(a.newest?.version ?? '')}</td>
      <td>${Object.values(a.channels).map((c) => `<span class="channel">${esc(c.channel)} → ${esc(c.version)}</span>`).join(' ')}</td>
      <td class="muted">${when(a.newest?.createdAt)}</td></tr>`).join('');
    return `<h3>${esc(project)}</h3><div class="table-wrap"><table><thead><tr><th>Artifact</th><th>Versions</th><th>Newest</th><th>Channels</th>
      <th>Published</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }));
  view.innerHTML = `<h2>Artifacts</h2>${sections.join('') || '<p class="muted">No artifacts yet. Jobs publish them with '
    + '<code>artifacts:</code> in the pipeline.</p>'}`;
}

async function showArtifact(project, name) {
  const base = `/artifacts/${encodeURIComponent(project)}/${encodeURIComponent(name)}`;
  const artifact = await api(base);
  const histories = await Promise.all(Object.keys(artifact.channels).map(async (channel) =>
    [channel, (await api(`${base}/channels/${encodeURIComponent(channel)}`)).history]));
  const versionRows = artifact.versions.map((v) => `<tr><td>${esc(v.version)}</td><td>${bytes(v.size)}</td>
    <td class="mono">${esc(v.sha256.slice(0, 12))}…</td><td>${esc(v.publishedBy ?? '')}${v.runId
    ? ` · <a href="#/runs/${v.runId}">run #${v.runId}</a>` : ''}</td><td class="muted">${when(v.createdAt)}</td>
    <td><a href="/api/v1${base}/versions/${encodeURIComponent(v.version)}/content" download>download</a></td></tr>`).join('');
  const channelBlocks = histories.map(([channel, history]) => {
    const current = artifact.channels[channel];
    const moves = history.slice().reverse().map((m) => `<tr><td>${esc(m.version)}</td><td class="muted">${esc(m.previous ?? '')}
      </td><td>${esc(m.by)}</td><td class="muted">${when(m.at)}</td><td class="actions">${m.version !== current.version
      ? button('move-channel', 'Move back here', `data-channel="${esc(channel)}" data-version="${esc(m.version)}"`) : '<b>current</b>'}</td></tr>`).join('');
    return `<h3>${esc(channel)} → ${esc(current.version)}</h3><div class="table-wrap"><table><thead><tr><th>Version</th><th>Was</th><th>By</th>
      <th>When</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>${moves}</tbody></table></div>`;
  }).join('');
  view.innerHTML = `<p><a href="#/artifacts">← artifacts</a></p><h2>${esc(project)} / ${esc(name)}</h2>
    <section class="panel"><h2>Deployments and channels</h2><p class="muted">A channel points at one version; moving it
    back is an instant rollback.</p>${channelBlocks || '<p class="muted">No channels.</p>'}</section>
    <h2>Versions (${artifact.totalVersions})</h2><div class="table-wrap"><table><thead><tr><th>Version</th><th>Size</th><th>SHA-256</th>
    <th>Published by</th><th>When</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>${versionRows}</tbody></table></div>`;
  view.dataset.artifact = base;
}

async function showEnvironments() {
  const { environments } = await api('/environments?history=10');
  const blocks = environments.map((e) => {
    const path = `/environments/${encodeURIComponent(e.project)}/${encodeURIComponent(e.name)}/rollback`;
    // The history may hold the current version more than once (deployed, then rolled back to): the
    // current one is the newest entry of that version that took effect — the one of the current run if listed.
    const tookEffect = e.history.filter((h) => h.version === e.currentVersion && ['SUCCEEDED', 'ACTIVATED'].includes(h.state));
    const currentEntry = tookEffect.find((h) => h.runId === e.currentRun) ?? tookEffect[0];
    const history = e.history.map((h) => `<tr><td class="mono">${esc(short(h.version))}</td><td>${badge(h.state)}</td>
      <td><a href="#/runs/${h.runId}">run #${h.runId}</a>${h.requestedBy ? ` · by ${esc(h.requestedBy)}` : ''}</td>
      <td class="muted">${when(h.startedAt)}</td><td class="actions">${['SUCCEEDED', 'ACTIVATED'].includes(h.state)
        && h.version !== e.currentVersion && !e.deployingRun ? button('rollback-env', 'Roll back here',
          `data-path="${esc(path)}" data-version="${esc(h.version)}"`) : h === currentEntry ? '<b>current</b>' : ''}</td></tr>`).join('');
    return `<section class="panel environment" data-environment="${esc(e.project)}/${esc(e.name)}">
      <h3>${esc(e.project)} / ${esc(e.name)}</h3>
      <p>now <b class="mono current-version">${esc(short(e.currentVersion) || '—')}</b>${e.currentRun
        ? ` (<a href="#/runs/${e.currentRun}">run #${e.currentRun}</a>)` : ''} · before
        <span class="mono previous-version">${esc(short(e.previousVersion) || '—')}</span>
        ${e.deployingRun ? ` · <span class="state RUNNING">deploying run <a href="#/runs/${e.deployingRun}">#${e.deployingRun}</a></span>` : ''}
        ${e.previousVersion && !e.deployingRun ? button('rollback-env', 'Roll back to previous', `data-path="${esc(path)}"`) : ''}</p>
      <div class="table-wrap"><table><thead><tr><th>Version</th><th>Outcome</th><th>Run</th><th>When</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${history}</tbody></table></div></section>`;
  }).join('');
  view.innerHTML = `<h2>Environments</h2><p class="muted">Deploy jobs move an environment's pointer when every step
    succeeds; rolling back moves it to a version the environment ran before, at once, without running anything.</p>
    ${blocks || '<p class="muted">Nothing deployed yet. Deploy jobs have <code>deploy:</code> in the pipeline.</p>'}`;
}

async function showProjects() {
  const { projects } = await api('/projects');
  const rows = projects.map((p) => `
    <tr>
      <td><b>${esc(p.name)}</b><div class="muted">${esc(p.url)}</div></td>
      <td>${esc(p.branches.join(', '))}</td>
      <td>${p.lastPollOk === null || p.lastPollOk === undefined ? '<span class="muted">not yet</span>'
        : p.lastPollOk ? badge('SUCCEEDED').replace('succeeded', 'ok') : badge('FAILED').replace('failed', 'failing')}
        ${p.lastPollAt ? `<div class="muted">${when(p.lastPollAt)}</div>` : ''}
        ${p.lastError ? `<div class="reason">${esc(p.lastError)}${p.failingSince ? ` (since ${when(p.failingSince)})` : ''}</div>` : ''}</td>
      <td>${p.lastCommit ? `<code>${esc(p.lastCommit.replace(/^refs\/heads\//, '').replace(/ ([0-9a-f]{7})[0-9a-f]+$/, ' $1'))}</code>` : ''}</td>
      <td class="muted">${p.nextPollAt ? when(p.nextPollAt) : ''} · every ${p.pollSeconds}s</td>
      <td>${p.forge ? esc(p.forge) : '<span class="muted">none</span>'}
        ${p.lastReportError ? `<div class="reason">${esc(p.lastReportError)}</div>` : ''}
        ${p.reportsPending ? `<div class="muted">${p.reportsPending} waiting to be sent</div>` : ''}</td>
    </tr>`).join('');
  view.innerHTML = `<h2>Projects</h2>
    <div class="table-wrap"><table><thead><tr><th>Project</th><th>Branches</th><th>Last poll</th><th>Last commit</th><th>Next poll</th>
      <th>Reports to</th></tr></thead><tbody>${rows || '<tr><td colspan="6" class="muted">No watched repositories. '
      + 'Start the swarm with <code>--projects FILE</code> (docs/discovery.md).</td></tr>'}</tbody></table></div>`;
}

const short = (version) => (version && /^[0-9a-f]{40}$/.test(version) ? version.slice(0, 12) : version ?? '');

// ---- routing and rendering ---------------------------------------------------------------------

async function render() {
  const hash = location.hash || '#/';
  const run = hash.match(/^#\/runs\/(\d+)/);
  const artifact = hash.match(/^#\/artifacts\/([^/]+)\/([^/]+)/);
  document.querySelectorAll('header nav a').forEach((a) => {
    const here = a.getAttribute('href') === '#/' ? hash === '#/' : hash.startsWith(a.getAttribute('href'));
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (!run || (logViewer && String(logViewer.runId) !== run[1])) stopLog();
  const focus = focusedControl();
  try {
    if (run) await showRun(run[1]);
    else if (hash.startsWith('#/runs')) await showRuns();
    else if (hash.startsWith('#/queue')) await showQueue();
    else if (hash.startsWith('#/drones')) await showDrones();
    else if (hash.startsWith('#/environments')) await showEnvironments();
    else if (hash.startsWith('#/projects')) await showProjects();
    else if (artifact) await showArtifact(decodeURIComponent(artifact[1]), decodeURIComponent(artifact[2]));
    else if (hash.startsWith('#/artifacts')) await showArtifacts();
    else await showHome();
  } catch (error) {
    view.innerHTML = error.status === 401
      ? '<p class="muted">This swarm shows its runs, logs and artifacts to token holders only: sign in with a token'
        + ' (<code>swarm token create NAME --role viewer</code>).</p>'
      : `<p class="muted">Could not load this page: ${esc(error.message)}</p>`;
  }
  refocus(focus);
}

/**
 * What has the keyboard focus, described so that the same control can be found after the page is
 * drawn anew (live events redraw it): a keyboard user keeps their place.
 */
function focusedControl() {
  const active = document.activeElement;
  if (!active || !view.contains(active) || active === view) return null;
  for (const name of ['data-action', 'data-section', 'href', 'class']) {
    if (active.hasAttribute(name)) {
      const same = [...view.querySelectorAll(`${active.tagName}[${name}="${CSS.escape(active.getAttribute(name))}"]`)];
      return { tag: active.tagName, name, value: active.getAttribute(name), jobId: active.dataset.jobId,
        index: same.indexOf(active) };
    }
  }
  return null;
}

function refocus(focus) {
  if (!focus || (document.activeElement && view.contains(document.activeElement) && document.activeElement !== view)) return;
  const same = [...view.querySelectorAll(`${focus.tag}[${focus.name}="${CSS.escape(focus.value)}"]`)]
    .filter((element) => !focus.jobId || element.dataset.jobId === focus.jobId);
  const element = same[focus.jobId ? 0 : Math.max(0, focus.index)] ?? same[0];
  if (element) element.focus({ preventScroll: true });
}

let pending = null;
function renderSoon() {
  // Do not redraw under a user writing a new run, or typing into any other form (the run filters).
  const typing = document.activeElement && view.contains(document.activeElement) && document.activeElement.closest('form');
  if (view.querySelector('#new-run:not(.hidden)') || typing) return;
  if (!pending) pending = setTimeout(() => { pending = null; render(); }, 200);
}

view.addEventListener('click', (event) => {
  if (event.target.closest('a[href], .log-view')) return; // links navigate by themselves; the log viewer handles its own clicks
  const target = event.target.closest('[data-action], [data-job], [data-href]');
  if (!target || target.disabled) return;
  const d = target.dataset;
  switch (d.action) {
    case 'new-run': view.querySelector('#new-run').classList.toggle('hidden'); return;
    case 'cancel-run': act(`Cancel run #${d.run}`, 'POST', `/runs/${d.run}/cancel`, {}); return;
    case 'cancel-job': act(`Cancel job ${d.jobId}`, 'POST', `/runs/${location.hash.match(/\d+/)[0]}/jobs/${d.jobId}/cancel`, {}); return;
    case 'rerun': send('POST', `/runs/${d.run}/rerun${d.noCache ? '?cache=false' : ''}`, {}).then((created) => { location.hash = `#/runs/${created.id}`; },
      (error) => say(`Re-run: ${error.message}`, true)); return;
    case 'retry-failed': act(`Re-run the failed jobs of run #${d.run}`, 'POST', `/runs/${d.run}/retry-failed`, {}); return;
    case 'retry-job': act(`Retry job ${d.jobId}`, 'POST', `/runs/${location.hash.match(/\d+/)[0]}/jobs/${d.jobId}/retry`, {}); return;
    case 'drain': case 'pause': case 'resume': act(`${d.action} ${d.drone}`, 'POST', `/drones/${encodeURIComponent(d.drone)}/${d.action}`, {}); return;
    case 'rollback-env': act(d.version ? `Roll back to ${d.version}` : 'Roll back', 'POST', d.path,
      d.version ? { version: d.version } : {}); return;
    case 'decide': act(`Job ${d.jobId}: ${d.decision}`, 'POST', `/runs/${location.hash.match(/\d+/)[0]}/jobs/${d.jobId}/decide`,
      { decision: d.decision }); return;
    case 'move-channel': act(`Move ${d.channel} to ${d.version}`, 'PUT', `${view.dataset.artifact}/channels/${encodeURIComponent(d.channel)}`,
      { version: d.version }); return;
    default: break;
  }
  if (d.job) { location.hash = `#/runs/${location.hash.match(/\d+/)[0]}?job=${d.job}`; return; }
  if (d.href) location.hash = d.href;
});

// ---- sign-in -----------------------------------------------------------------------------------

async function showAccount() {
  me = null;
  if (token()) {
    try { me = await api('/whoami'); } catch (error) { if (error.status === 401) setToken(null); }
  }
  account.innerHTML = me ? `<span class="muted">${esc(me.name)} (${esc(me.role)})</span> <button id="sign-out">Sign out</button>`
    : '<button id="sign-in">Sign in with a token</button>';
  account.querySelector('button').addEventListener('click', () => {
    if (me) setToken(null);
    else {
      const entered = window.prompt('API token (swarm token create NAME --role developer):');
      if (entered) setToken(entered.trim());
    }
    showAccount().then(render);
  });
}

// ---- live events -------------------------------------------------------------------------------

function connect() {
  const changesOverview = new Set(['run.created', 'run.finished', 'job.queued', 'job.assigned', 'job.started', 'job.succeeded',
    'job.failed', 'job.skipped', 'job.cancelled', 'job.requeued', 'job.unschedulable', 'job.retry_scheduled',
    'job.schedulable', 'drone.registered', 'drone.mode', 'drone.lost', 'drone.grounded', 'artifact.published',
    'run.extended', 'run.retried', 'job.retried', 'deploy.started', 'deploy.succeeded', 'deploy.rolled_back', 'deploy.rollback_failed', 'deploy.held']);
  stream('/events', (type) => {
    if (changesOverview.has(type)) refreshOverview().then(renderSoon);
    else renderSoon();
  });
}

window.addEventListener('hashchange', render);
// Durations of what is still running count on between events.
setInterval(() => {
  document.querySelectorAll('[data-since]').forEach((element) => { element.textContent = took(Number(element.dataset.since)); });
}, 1000);
// The skip link moves the focus to the page's content without changing the address (the router's).
document.querySelector('[data-skip]').addEventListener('click', (event) => { event.preventDefault(); view.focus(); });
await showAccount();
await refreshOverview();
render();
connect();
setInterval(async () => {
  const wasLive = overview?.live;
  await refreshOverview();
  // Pages built from the overview follow it; others redraw when the swarm comes back.
  const hash = location.hash || '#/';
  if (hash === '#/' || hash.startsWith('#/drones') || hash.startsWith('#/queue') || hash.startsWith('#/environments') || (!wasLive && overview?.live)) renderSoon();
}, POLL_MS);
