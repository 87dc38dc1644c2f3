/**
 * Makes a claim value safe for a header line. Claims come from the IdP, but their content
 * is user-controlled (names, group names): a CR or LF would split the header and let a user
 * inject headers of their choosing into the upstream request.
 *
 * Printable ASCII passes unchanged except `%` (so the encoding is unambiguous) and any
 * `extra` characters the caller reserves, such as `|` in the groups list; everything else
 * is percent-encoded as UTF-8. Control characters never reach a header line.
 */

const SAFE = /^[\x20-\x24\x26-\x7e]*$/;

export function headerSafe(value: string, reserved = ''): string {
  if (SAFE.test(value) && (reserved === '' || ![...reserved].some((ch) => value.includes(ch)))) {
    return value;
  }
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (code >= 0x20 && code <= 0x7e && ch !== '%' && !reserved.includes(ch)) {
      out += ch;
    } else {
      out += encodeURIComponent(ch).replace(/[!'()*|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    }
  }
  return out;
}
