import type { JsonObject } from '../types.js';
import type { OutpostEventMessage } from './types.js';

/** authentik's websocket instructions (`authentik/outposts/consumer.py`). */
export const OUTPOST_INSTRUCTION = {
  ACK: 0,
  HELLO: 1,
  TRIGGER_UPDATE: 2,
  PROVIDER_SPECIFIC: 3,
  SESSION_END: 4,
} as const;

export function encodeEventMessage(instruction: number, args: JsonObject = {}): string {
  return JSON.stringify({ instruction, args });
}

/**
 * A received text frame as authentik's consumer reads it (`from_dict(WebsocketMessage, …)`):
 * `{instruction: integer, args: object}`; anything else is undefined (malformed).
 */
export function parseEventMessage(text: string): OutpostEventMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { instruction, args } = value as { instruction?: unknown; args?: unknown };
  if (typeof instruction !== 'number' || !Number.isInteger(instruction)) return undefined;
  // authentik's dataclass defaults args to {}; a present non-object is a type error there.
  if (args === undefined) return { instruction, args: {} };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  return { instruction, args: args as JsonObject };
}
