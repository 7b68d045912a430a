// buildswarm UI: plain ES module, no build step. State comes from /api/v1, live updates over SSE.
const view = document.getElementById('view');
const liveDot = document.getElementById('live');
const liveText = document.getElementById('live-text');

const api = async (path) => {
  const response = await fetch(`/api/v1${path}`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${response.status} ${path}`);
  return response.json();
};

const esc = (text) => String(text ?? '').replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const when = (ms) => (ms ? new Date(ms).toLocaleString() : '');
const took = (from, to) => (from ? `${(((to ?? Date.now()) - from) / 1000).toFixed(1)}s` : '');
const badge = (state) => `<span class="state ${esc(state)}">${esc(String(state).toLowerCase())}</span>`;

async function showRuns() {
  const page = await api('/runs?limit=50');
  const rows = page.runs.map((run) => `
    <tr class="clickable" data-run="${run.id}">
      <td>#${run.id}</td><td>${esc(run.project)}</td><td>${badge(run.state)}</td>
      <td>${Object.entries(run.jobCounts).map(([s, n]) => `${n} ${esc(s.toLowerCase())}`).join(', ')}</td>
      <td class="muted">${when(run.createdAt)}</td><td class="muted">${took(run.createdAt, run.finishedAt)}</td>
    </tr>`).join('');
  view.innerHTML = `<h2>Runs</h2><table><thead><tr><th>Run</th><th>Project</th><th>State</th><th>Jobs</th>
    <th>Started</th><th>Took</th></tr></thead><tbody>${rows || '<tr><td colspan="6" class="muted">No runs yet. '
    + 'Try <code>swarm run</code>.</td></tr>'}</tbody></table>`;
  view.querySelectorAll('tr[data-run]').forEach((row) => row.addEventListener('click', () => {
    location.hash = `#/runs/${row.dataset.run}`;
  }));
}

async function showRun(id) {
  const detail = await api(`/runs/${id}`);
  const rows = detail.jobs.map((job) => `
    <tr class="clickable" data-job="${job.id}">
      <td>${esc(job.name)}</td><td>${badge(job.state)}</td><td>${esc(job.drone ?? '')}</td><td>${job.cores}</td>
      <td>${esc(job.needs.join(', '))}</td><td class="muted">${took(job.startedAt, job.finishedAt)}</td>
      <td class="reason">${esc(job.reason ?? '')}</td>
    </tr>`).join('');
  view.innerHTML = `<p><a href="#/">← runs</a></p>
    <h2>Run #${detail.run.id} · ${esc(detail.run.project)} ${badge(detail.run.state)}</h2>
    <table><thead><tr><th>Job</th><th>State</th><th>Drone</th><th>Cores</th><th>Needs</th><th>Took</th><th></th></tr></thead>
    <tbody>${rows}</tbody></table><div id="log"></div>`;
  view.querySelectorAll('tr[data-job]').forEach((row) => row.addEventListener('click', () => showLog(row.dataset.job)));
  if (openLog) showLog(openLog);
}

let openLog = null;
async function showLog(jobId) {
  openLog = jobId;
  const target = document.getElementById('log');
  if (!target) return;
  const response = await fetch(`/api/v1/jobs/${jobId}/log`);
  const text = response.ok ? await response.text() : '(no log yet)';
  target.innerHTML = `<h2>Log of job ${esc(jobId)}</h2><pre class="log">${esc(text)}</pre>`;
}

async function showDrones() {
  const list = await api('/drones');
  const rows = list.drones.map((d) => `
    <tr><td>${esc(d.name)}</td><td>${esc(d.state)}</td>
      <td><span class="bar"><span style="width:${d.cores ? (100 * d.busyCores) / d.cores : 0}%"></span></span>
        ${d.busyCores}/${d.cores}</td>
      <td>${esc(d.labels.join(', '))}</td><td>${d.load1 >= 0 ? d.load1.toFixed(2) : ''}</td></tr>`).join('');
  view.innerHTML = `<h2>Drones</h2><table><thead><tr><th>Drone</th><th>State</th><th>Cores</th><th>Labels</th>
    <th>Load</th></tr></thead><tbody>${rows || '<tr><td colspan="5" class="muted">No drones.</td></tr>'}</tbody></table>`;
}

async function render() {
  const hash = location.hash || '#/';
  const run = hash.match(/^#\/runs\/(\d+)/);
  try {
    if (run) await showRun(run[1]);
    else if (hash.startsWith('#/drones')) await showDrones();
    else { openLog = null; await showRuns(); }
  } catch (error) {
    view.innerHTML = `<p class="muted">Could not load: ${esc(error.message)}</p>`;
  }
}

let pending = null;
const renderSoon = () => {
  if (!pending) pending = setTimeout(() => { pending = null; render(); }, 150);
};

function connect() {
  const events = new EventSource('/api/v1/events');
  events.onopen = () => { liveDot.className = 'dot live'; liveText.textContent = 'live'; };
  events.onerror = () => { liveDot.className = 'dot stale'; liveText.textContent = 'reconnecting…'; };
  events.onmessage = renderSoon;
  for (const type of ['run.created', 'run.finished', 'job.queued', 'job.assigned', 'job.started', 'job.succeeded',
    'job.failed', 'job.skipped', 'job.cancelled', 'job.requeued', 'job.unschedulable', 'job.retry_scheduled']) {
    events.addEventListener(type, renderSoon);
  }
}

window.addEventListener('hashchange', render);
render();
connect();
