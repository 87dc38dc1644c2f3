/**
 * The configuration file's JSON Schema (draft 2020-12), generated from the same declarations that
 * validate it, for editors (`# yaml-language-server: $schema=…`) and `portcullis schema`. It
 * describes the file as written: any value may be a `${NAME}` reference instead, `required`
 * marks only what no source can supply (an application's name and host), and the cross-key
 * rules (mode-specific keys, https unless loopback) stay the validator's.
 */

import type { Schema } from './schema/core.js';
import type { FieldMap } from './schema/object.js';
import { root } from './spec/root.js';

type JsonSchema = Record<string, unknown>;

// A `${NAME}` reference stands for any value before interpolation.
const REFERENCE: JsonSchema = { type: 'string', pattern: '\\$\\{' };

/** Mappings whose keys may all come from elsewhere: the top level (authentik mode), identity blocks. */
const NOTHING_REQUIRED = new Set(['', 'identity', 'applications[].identity']);

export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Portcullis configuration',
    description: 'portcullis.yaml: an authenticating reverse proxy in the style of authentik\'s proxy outpost.',
    ...objectSchema(root.fields ?? {}, ''),
  };
}

function objectSchema(fields: FieldMap, path: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, field] of Object.entries(fields)) {
    const here = path === '' ? key : `${path}.${key}`;
    const schema = schemaOf(field.schema, here);
    const annotated: JsonSchema = { ...(field.default === null ? { anyOf: [schema, { type: 'null' }] } : schema), description: field.description };
    if (!field.required && field.default !== undefined && field.default !== null && !isEmptyMapping(field.default)) annotated.default = field.default;
    properties[key] = annotated;
  }
  const required = NOTHING_REQUIRED.has(path) ? [] : Object.entries(fields).filter(([, f]) => f.required).map(([key]) => key);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

function schemaOf(schema: Schema<unknown>, path: string): JsonSchema {
  if (schema.fields !== undefined) return objectSchema(schema.fields, path);
  if (schema.item !== undefined) return { type: 'array', items: schemaOf(schema.item, `${path}[]`) };
  const value = schema.json ?? { type: 'string' };
  return value.type === 'string' ? { ...value } : { anyOf: [value, REFERENCE] };
}

function isEmptyMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
