/** YAML text → plain data, or PCL_CONFIG_UNREADABLE naming the line and column. */

import { LineCounter, parseDocument } from 'yaml';
import type { YAMLError } from 'yaml';
import { messageOf, PortcullisError } from '../errors/index.js';

/** What errors call a configuration that has no file name. */
export function sourceLabel(source: string): string {
  return source === '' ? '<config>' : source;
}

function describe(error: YAMLError, source: string, lines: LineCounter): string {
  const { line, col } = lines.linePos(error.pos[0]);
  return `${sourceLabel(source)}:${line}:${col}: invalid YAML: ${error.message}`;
}

/**
 * Parses one YAML document (YAML 1.2 core schema: `yes` is a string, no custom tags, no merge
 * keys). Duplicate keys, several documents and unknown tags are errors, not silent choices.
 */
export function parseYaml(text: string, source: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const issues = [...doc.errors, ...doc.warnings];
  if (issues.length > 0) {
    const message = issues.map((issue) => describe(issue, source, lines)).join('\n');
    throw new PortcullisError('PCL_CONFIG_UNREADABLE', message, { cause: issues[0] });
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Unresolvable aliases and alias bombs surface here rather than as parse errors.
    const reason = messageOf(error);
    throw new PortcullisError('PCL_CONFIG_UNREADABLE', `${sourceLabel(source)}: invalid YAML: ${reason}`, { cause: error });
  }
}
