// The job graph of a run as SVG: one column per dependency depth, edges from each need.
import { esc } from './lib.js';

const WIDTH = 170;
const HEIGHT = 34;
const GAP_X = 60;
const GAP_Y = 14;

/** @param runId the run, for each node's link to its job's log */
export function jobGraph(jobs, selected, runId) {
  const byName = new Map(jobs.map((job) => [job.name, job]));
  const depth = new Map();
  const depthOf = (job, seen = new Set()) => {
    if (depth.has(job.name)) return depth.get(job.name);
    if (seen.has(job.name)) return 0; // plans are acyclic; this only guards the drawing
    seen.add(job.name);
    const needs = job.needs.map((name) => byName.get(name)).filter(Boolean);
    const value = needs.length ? 1 + Math.max(...needs.map((need) => depthOf(need, seen))) : 0;
    depth.set(job.name, value);
    return value;
  };
  const columns = [];
  for (const job of jobs) {
    const column = depthOf(job);
    (columns[column] ??= []).push(job);
  }
  const place = new Map();
  columns.forEach((column, x) => column.forEach((job, y) => place.set(job.name,
    { x: 10 + x * (WIDTH + GAP_X), y: 10 + y * (HEIGHT + GAP_Y) })));
  const width = 20 + columns.length * (WIDTH + GAP_X) - GAP_X;
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (HEIGHT + GAP_Y) - GAP_Y;
  const edges = jobs.flatMap((job) => job.needs.filter((name) => place.has(name)).map((name) => {
    const from = place.get(name);
    const to = place.get(job.name);
    const x1 = from.x + WIDTH;
    const y1 = from.y + HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + HEIGHT / 2;
    const bend = (x2 - x1) / 2;
    return `<path class="edge" d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}"/>`;
  }));
  const nodes = jobs.map((job) => {
    const { x, y } = place.get(job.name);
    const label = job.name.length > 22 ? `${job.name.slice(0, 21)}…` : job.name;
    const described = `${job.name}: ${job.state.toLowerCase()}${job.drone ? ` on ${job.drone}` : ''}${job.reason ? ` (${job.reason})` : ''}`;
    return `<a href="#/runs/${runId}?job=${job.id}" aria-label="${esc(described)}"><g class="node ${esc(job.state)} ${job.cache?.fromRun != null ? 'cached' : ''} ${String(job.id) === String(selected) ? 'selected' : ''}" data-job="${job.id}"
      transform="translate(${x},${y})"><title>${esc(described)}</title>
      <rect width="${WIDTH}" height="${HEIGHT}" rx="6"/><text x="10" y="21">${esc(label)}</text>
      <text class="cores" x="${WIDTH - 8}" y="21" text-anchor="end">${job.cache?.fromRun != null ? 'cached' : `${job.cores}c`}</text></g></a>`;
  });
  return `<svg class="job-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"
    role="group" aria-label="job graph">${edges.join('')}${nodes.join('')}</svg>`;
}
