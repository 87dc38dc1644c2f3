/**
 * Layered mappings (defaults, then overrides) merged key by key, remembering where each value was
 * written so a problem is reported at the key the operator actually wrote.
 */

import { MergedPath } from './path.js';
import type { Path } from './path.js';
import { isPlainObject, setOwn } from './plain.js';

export interface Layer {
  readonly raw: Readonly<Record<string, unknown>>;
  readonly path: Path;
}

/**
 * Later layers win; mappings merge recursively, anything else (lists included) is replaced.
 * A key written in no layer reports under `fallback`.
 */
export function mergeLayers(layers: readonly Layer[], fallback: Path): { value: Record<string, unknown>; path: Path } {
  const value: Record<string, unknown> = {};
  const origins = new Map<string, Path>();
  const keys = new Set(layers.flatMap((layer) => Object.keys(layer.raw)));
  for (const key of keys) {
    const present = layers
      .filter((layer) => Object.hasOwn(layer.raw, key))
      .map((layer) => ({ raw: layer.raw[key], path: layer.path.key(key) }));
    const last = present.at(-1);
    if (last === undefined) continue;
    if (isPlainObject(last.raw)) {
      const mappings = present.flatMap((p) => (isPlainObject(p.raw) ? [{ raw: p.raw, path: p.path }] : []));
      const merged = mergeLayers(mappings, fallback.key(key));
      setOwn(value, key, merged.value);
      origins.set(key, merged.path);
    } else {
      setOwn(value, key, last.raw);
      origins.set(key, last.path);
    }
  }
  return { value, path: new MergedPath(fallback, origins) };
}
