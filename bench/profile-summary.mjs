/**
 * Reads a V8 CPU profile (`.cpuprofile`, as written by `node --cpu-prof` or the inspector's
 * Profiler) and says where the time went: self time per function, self time per part of the
 * stack (Node's HTTP and socket code, Fastify, reply-from, undici, pino, Portcullis, GC…), and
 * inclusive time of Portcullis's own functions.
 *
 *   node bench/profile-summary.mjs FILE.cpuprofile [--top 25]
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Which part of the stack a frame belongs to. */
export function categoryOf(url, functionName) {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(idle)') return 'idle';
    return 'native (C++ builtins)';
  }
  if (url.startsWith('node:')) {
    if (/^node:_http|^node:http/.test(url)) return 'node http';
    if (/^node:net|^node:internal\/stream_base|^node:internal\/net|^node:stream|^node:internal\/streams/.test(url)) return 'node net/streams';
    return 'node other';
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m !== null) {
    const pkg = m[1];
    if (pkg === 'fastify' || pkg === 'find-my-way' || pkg === 'light-my-request' || pkg.startsWith('@fastify/') && pkg !== '@fastify/reply-from' && pkg !== '@fastify/http-proxy') return 'fastify';
    if (pkg === '@fastify/reply-from' || pkg === '@fastify/http-proxy') return 'reply-from/http-proxy';
    if (pkg === 'undici') return 'undici';
    if (pkg === 'pino' || pkg === 'sonic-boom' || pkg === 'fast-redact' || pkg === 'pino-std-serializers' || pkg === 'quick-format-unescaped' || pkg === 'fast-safe-stringify') return 'pino (logging)';
    if (pkg === 'prom-client' || pkg === 'tdigest' || pkg === 'bintrees') return 'prom-client (metrics)';
    if (pkg === 'jose') return 'jose';
    return `dep: ${pkg}`;
  }
  if (url.includes('/dist/') || url.includes('/bench/')) return 'portcullis';
  return 'other';
}

function shortUrl(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(ROOT, '')
    .replace(/^.*node_modules\//, '');
}

export function summarize(profile, { top = 25 } = {}) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`}`.trim();
  };
  const self = new Map();
  const inclusive = new Map();
  const categories = new Map();
  const { samples, timeDeltas } = profile;
  const average = (profile.endTime - profile.startTime) / Math.max(1, samples.length);
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const us = timeDeltas[i + 1] ?? average;
    const leaf = nodes.get(samples[i]);
    const { url, functionName } = leaf.callFrame;
    const category = categoryOf(url, functionName);
    if (category === 'idle') {
      idle += us;
      continue;
    }
    total += us;
    const key = keyOf(leaf);
    const entry = self.get(key) ?? { us: 0, category };
    entry.us += us;
    self.set(key, entry);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const node = nodes.get(id);
      if (categoryOf(node.callFrame.url, node.callFrame.functionName) !== 'portcullis') continue;
      const k = keyOf(node);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const pct = (us) => (100 * us) / total;
  return {
    busyMs: total / 1000,
    idleMs: idle / 1000,
    categories: [...categories].map(([name, us]) => ({ name, ms: us / 1000, pct: pct(us) })).sort((a, b) => b.ms - a.ms),
    self: [...self].map(([name, { us, category }]) => ({ name, category, ms: us / 1000, pct: pct(us) })).sort((a, b) => b.ms - a.ms).slice(0, top),
    portcullisInclusive: [...inclusive].map(([name, us]) => ({ name, ms: us / 1000, pct: pct(us) })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

export function formatSummary(title, summary, { top = 25 } = {}) {
  const lines = [`### ${title}`, '', `Busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms of the profiled window.`, ''];
  lines.push('| part of the stack | self ms | % of busy |', '|---|---:|---:|');
  for (const c of summary.categories) lines.push(`| ${c.name} | ${c.ms.toFixed(0)} | ${c.pct.toFixed(1)} |`);
  lines.push('', `Top ${top} functions by self time:`, '', '| function | part | self ms | % |', '|---|---|---:|---:|');
  for (const f of summary.self.slice(0, top)) lines.push(`| \`${f.name}\` | ${f.category} | ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} |`);
  if (summary.portcullisInclusive.length > 0) {
    lines.push('', 'Portcullis functions by inclusive time (self + callees):', '', '| function | incl. ms | % |', '|---|---:|---:|');
    for (const f of summary.portcullisInclusive.slice(0, 15)) lines.push(`| \`${f.name}\` | ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const topAt = process.argv.indexOf('--top');
  const top = topAt === -1 ? 25 : Number(process.argv[topAt + 1]);
  process.stdout.write(formatSummary(file, summarize(JSON.parse(readFileSync(file, 'utf8')), { top }), { top }));
}
