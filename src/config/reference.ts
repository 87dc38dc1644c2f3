/** The configuration reference in docs/configuration.md, rendered from the schema so the two cannot drift. */

import { z } from 'zod';
import { configSchema } from './keys/root.js';
import { fieldDocs, type FieldDoc } from './values/field.js';
import { valueKinds } from './values/kinds.js';
import { unwrap } from './values/unwrap.js';

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

/** How the reference names the values a schema takes: "duration", "list of CIDR or IP", "mapping". */
function labelOf(schema: z.ZodType): string {
  const named = valueKinds.get(schema);
  if (named !== undefined) return named.label;
  if (schema instanceof z.ZodArray) return `list of ${labelOf(schema.element as z.ZodType)}`;
  if (schema instanceof z.ZodObject) return 'mapping';
  if (schema instanceof z.ZodPipe) return labelOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodPrefault) return labelOf(schema.unwrap() as z.ZodType);
  return 'value';
}

/** A key's declaration, through the `optional` that marks a block whose keys may come from elsewhere. */
function declared(schema: z.ZodType): { readonly schema: z.ZodType; readonly doc: FieldDoc | undefined } {
  const doc = fieldDocs.get(schema);
  if (doc === undefined && schema instanceof z.ZodOptional) return declared(schema.unwrap() as z.ZodType);
  return { schema, doc };
}

function defaultCell(doc: FieldDoc | undefined, value: z.ZodType): string {
  if (doc === undefined || doc.required) return '**required**';
  if (doc.defaultText !== undefined) return doc.defaultText;
  return value instanceof z.ZodObject ? '' : showDefault(doc.default);
}

function rows(shape: Readonly<Record<string, z.ZodType>>, prefix: string): Row[] {
  return Object.entries(shape).flatMap(([key, field]) => {
    const path = `${prefix}${key}`;
    const { schema, doc } = declared(field);
    const value = unwrap(schema);
    const description = z.globalRegistry.get(schema)?.description ?? '';
    const row = { key: `\`${path}\``, type: labelOf(schema), default: defaultCell(doc, value), description };
    if (value instanceof z.ZodObject) return [row, ...rows(value.shape, `${path}.`)];
    const item = value instanceof z.ZodArray ? unwrap(value.element as z.ZodType) : undefined;
    if (item instanceof z.ZodObject) return [row, ...rows(item.shape, `${path}[].`)];
    return [row];
  });
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

const INTRO = [
  '<!-- Generated from src/config/keys/ by configReferenceMarkdown(); edit the schema, not this block. -->',
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
  const root = unwrap(configSchema);
  const table = root instanceof z.ZodObject ? rows(root.shape, '') : [];
  return [
    ...INTRO,
    '| Key | Type | Default | Description |',
    '|---|---|---|---|',
    ...table.map((r) => `| ${cell(r.key)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
    '',
  ].join('\n');
}
