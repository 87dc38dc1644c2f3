/** The configuration reference in docs/configuration.md, rendered from the schema so the two cannot drift. */

import type { FieldMap } from './schema/object.js';
import { root } from './spec/root.js';

interface Row {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

function showDefault(value: unknown): string {
  if (Array.isArray(value)) return `\`[${value.map((item) => JSON.stringify(item)).join(', ')}]\``;
  return `\`${JSON.stringify(value)}\``;
}

function rows(fields: FieldMap, prefix: string): Row[] {
  return Object.entries(fields).flatMap(([key, f]) => {
    const path = `${prefix}${key}`;
    const nested = f.schema.fields ?? f.schema.item?.fields;
    const defaultCell = f.required
      ? '**required**'
      : (f.defaultText ?? (f.schema.fields !== undefined ? '' : showDefault(f.default)));
    const row = { key: `\`${path}\``, type: f.schema.type, default: defaultCell, description: f.description };
    if (nested === undefined) return [row];
    return [row, ...rows(nested, f.schema.fields !== undefined ? `${path}.` : `${path}[].`)];
  });
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

const INTRO = [
  '<!-- Generated from src/config/spec/ by configReferenceMarkdown(); edit the schema, not this block. -->',
  '',
  'Every key is optional unless marked **required**. Unknown keys are errors, and every problem is',
  'reported at once with its dotted path (`applications[0].internalHost: expected an http(s) URL, got "localhost:3000"`).',
  '',
  '- **Environment:** in string values, `${NAME}` is replaced by the variable and `${NAME:-default}` by the',
  '  variable or, when it is unset or empty, `default` (which cannot contain `}`). `$${` writes a literal `${`.',
  '  An unset variable without a default is an error. Substitution happens after YAML parsing, so a',
  '  variable always becomes part of one string, never YAML structure; keys and non-string values are not',
  '  interpolated.',
  '- **Durations:** `500ms`, `30s`, `5m`, `24h`, `1h30m` (units h, m, s, ms, largest first).',
  '- **Application identity:** `applications[].identity` may override any `identity` key, nested keys',
  '  included (`bearer: { audiences: [...] }` keeps the other `bearer` keys).',
  '- **Editors:** `portcullis schema` prints the JSON Schema of this file (draft 2020-12; the package ships it',
  '  as `portcullis.schema.json`). With the YAML language server, a first line',
  '  `# yaml-language-server: $schema=./node_modules/portcullis/portcullis.schema.json` gives completion and checks.',
  '',
];

/** Markdown for the block between `<!-- config-reference:start -->` and `<!-- config-reference:end -->`. */
export function configReferenceMarkdown(): string {
  const fields = root.fields;
  const table = fields === undefined ? [] : rows(fields, '');
  return [
    ...INTRO,
    '| Key | Type | Default | Description |',
    '|---|---|---|---|',
    ...table.map((r) => `| ${cell(r.key)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
    '',
  ].join('\n');
}
