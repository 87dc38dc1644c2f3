/**
 * Every field line of one request header, as sent. Node's `headers` keeps only the first line
 * of most headers, which would let a second, unchecked line through to a lenient upstream;
 * its `headersDistinct` keeps them all but builds an array for every header of the request on
 * first use. Decisions need a handful of names, so they scan `rawHeaders` for those alone.
 */

import type { IncomingMessage } from 'node:http';

/** The lines of header `name` (lower case) in order, or undefined when the request has none. */
export function headerLines(request: IncomingMessage, name: string): string[] | undefined {
  const raw = request.rawHeaders;
  let lines: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    // Most names differ in length; only a same-length name is lower-cased and compared.
    if (key.length === name.length && (key === name || key.toLowerCase() === name)) {
      (lines ??= []).push(raw[i + 1] as string);
    }
  }
  return lines;
}
