/**
 * Makes a claim value safe for a header line. Claims come from the IdP, but their content
 * is user-controlled (names, group names): a CR or LF would split the header and let a user
 * inject headers of their choosing into the upstream request.
 *
 * Printable ASCII passes unchanged except `%` (so the encoding is unambiguous) and any
 * `extra` characters the caller reserves, such as `|` in the groups list; everything else
 * is percent-encoded as UTF-8. Control characters never reach a header line. A space at
 * either end is encoded too: the receiver would trim it (RFC 9110 §5.5), so `" alice "` would
 * arrive as `alice`, someone else's name.
 */

const SAFE = /^[\x20-\x24\x26-\x7e]*$/;
// U+FFFD as UTF-8: a lone surrogate has no UTF-8 form (encodeURIComponent throws on it).
const REPLACEMENT = '%EF%BF%BD';

export function headerSafe(value: string, reserved = ''): string {
  if (SAFE.test(value) && !hasEdgeSpace(value) && (reserved === '' || ![...reserved].some((ch) => value.includes(ch)))) {
    return value;
  }
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0x20 && code <= 0x7e && ch !== '%' && !reserved.includes(ch)) {
      out += ch;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // for…of yields a well-formed pair as one code point, so this is a lone surrogate.
      out += REPLACEMENT;
    } else {
      out += encodeURIComponent(ch).replace(/[!'()*|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    }
  }
  return out.replace(/^ | $/g, '%20');
}

function hasEdgeSpace(value: string): boolean {
  return value.startsWith(' ') || value.endsWith(' ');
}
