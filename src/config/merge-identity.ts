/**
 * Each application's `identity` is the top-level block with the application's own keys laid over
 * it, mappings merged key by key (`bearer: { audiences: [...] }` keeps the other `bearer` keys),
 * anything else (lists included) replaced. The merged block is validated whole, and a problem in
 * it is reported where the offending value was written, or at `identity.<key>` when nobody
 * wrote it.
 */

import { isPlainObject, setOwn } from './plain.js';
import type { DocPath } from './problems.js';

interface Layer {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly path: DocPath;
}

/** Where each key of a merged mapping was written: a path, or the origins of a merged mapping. */
interface Origins {
  readonly fallback: DocPath;
  readonly keys: ReadonlyMap<string, DocPath | Origins>;
}

function isOrigins(value: DocPath | Origins): value is Origins {
  return !Array.isArray(value);
}

/** Later layers win; mappings merge recursively. */
function mergeLayers(layers: readonly Layer[], fallback: DocPath): { value: Record<string, unknown>; origins: Origins } {
  const value: Record<string, unknown> = {};
  const keys = new Map<string, DocPath | Origins>();
  for (const key of new Set(layers.flatMap((layer) => Object.keys(layer.raw)))) {
    const present = layers.filter((layer) => Object.hasOwn(layer.raw, key)).map((layer) => ({ raw: layer.raw[key], path: [...layer.path, key] }));
    const last = present.at(-1);
    if (last === undefined) continue;
    if (isPlainObject(last.raw)) {
      const mappings = present.flatMap((p) => (isPlainObject(p.raw) ? [{ raw: p.raw, path: p.path }] : []));
      const merged = mergeLayers(mappings, [...fallback, key]);
      setOwn(value, key, merged.value);
      keys.set(key, merged.origins);
    } else {
      setOwn(value, key, last.raw);
      keys.set(key, last.path);
    }
  }
  return { value, origins: { fallback, keys } };
}

function originOf(origins: Origins, path: DocPath): DocPath {
  const [key, ...rest] = path;
  const written = typeof key === 'string' ? origins.keys.get(key) : undefined;
  if (key === undefined) return origins.fallback;
  if (written === undefined) return [...origins.fallback, ...path];
  return isOrigins(written) ? originOf(written, rest) : [...written, ...rest];
}

export interface MergedDocument {
  /** The document with every application's identity merged. */
  readonly value: unknown;
  /** Where a problem found at `path` of the merged document belongs; null when it is not worth reporting. */
  where(path: DocPath): DocPath | null;
}

const IDENTITY: DocPath = ['identity'];

export function mergeIdentities(doc: unknown): MergedDocument {
  const unchanged: MergedDocument = { value: doc, where: (path) => path };
  if (!isPlainObject(doc) || !Array.isArray(doc['applications'])) return unchanged;
  const top = doc['identity'];
  if (top !== undefined && !isPlainObject(top)) {
    // A malformed top-level block is reported at `identity`; do not blame each application for it.
    return { value: doc, where: (path) => (isUnderApplicationIdentity(path) ? null : path) };
  }
  const origins = new Map<number, Origins>();
  const applications = (doc['applications'] as unknown[]).map((app: unknown, i) => {
    if (!isPlainObject(app)) return app;
    const own = Object.hasOwn(app, 'identity') ? app['identity'] : {};
    if (!isPlainObject(own)) return app;
    const at: DocPath = ['applications', i, 'identity'];
    const merged = mergeLayers([{ raw: top ?? {}, path: IDENTITY }, { raw: own, path: at }], IDENTITY);
    origins.set(i, merged.origins);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(app)) setOwn(copy, key, item);
    setOwn(copy, 'identity', merged.value);
    return copy;
  });
  const value: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(doc)) setOwn(value, key, key === 'applications' ? applications : item);
  return {
    value,
    where(path) {
      const found = isUnderApplicationIdentity(path) ? origins.get(path[1] as number) : undefined;
      return found === undefined ? path : originOf(found, path.slice(3));
    },
  };
}

function isUnderApplicationIdentity(path: DocPath): boolean {
  return path[0] === 'applications' && typeof path[1] === 'number' && path[2] === 'identity';
}
