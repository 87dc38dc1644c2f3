/**
 * Lexical pieces shared by the credentials and challenge parsers. Every scanner here is a single
 * forward pass over the input: no backtracking regexes, so a hostile 8 KiB header costs linear time.
 *
 * @see RFC 9110 §5.6.2 (token, tchar), §5.6.3 (OWS, BWS), §5.6.4 (quoted-string),
 *      §11.2 (token68), RFC 6750 §2.1 (b64token)
 */

/** A position in the input, or `-1` when what was asked for is not there. */
export type Cursor = number;

const TCHAR_PUNCTUATION = "!#$%&'*+-.^_`|~";
const TOKEN68_PUNCTUATION = '-._~+/';

function isAlphaDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** A 128-entry membership table: scanners test a char code instead of building one-character strings. */
function asciiTable(punctuation: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 0; code < 128; code += 1) {
    table[code] = isAlphaDigit(code) || punctuation.includes(String.fromCharCode(code)) ? 1 : 0;
  }
  return table;
}

const TCHAR = asciiTable(TCHAR_PUNCTUATION);
const TOKEN68_CHAR = asciiTable(TOKEN68_PUNCTUATION);

/** RFC 9110 §5.6.2 tchar. */
export function isTchar(ch: string): boolean {
  return ch.length === 1 && TCHAR[ch.charCodeAt(0)] === 1;
}

/** RFC 9110 §11.2 token68 character other than the trailing `=` padding (same set as RFC 6750 b64token). */
export function isToken68Char(ch: string): boolean {
  return ch.length === 1 && TOKEN68_CHAR[ch.charCodeAt(0)] === 1;
}

/** OWS / BWS character: SP or HTAB. */
export function isOws(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Index of the first non-OWS character at or after `from`. */
export function skipOws(text: string, from: number): number {
  let i = from;
  while (isOws(text[i])) {
    i += 1;
  }
  return i;
}

/** End index of the run of tchar starting at `from` (`from` itself when there is none). */
export function scanToken(text: string, from: number): number {
  let i = from;
  while (i < text.length && TCHAR[text.charCodeAt(i)] === 1) {
    i += 1;
  }
  return i;
}

/** End index of the token68 starting at `from` (`1*token68-char *"="`), `from` when there is none. */
export function scanToken68(text: string, from: number): number {
  let i = from;
  while (i < text.length && TOKEN68_CHAR[text.charCodeAt(i)] === 1) {
    i += 1;
  }
  if (i === from) {
    return from;
  }
  while (text[i] === '=') {
    i += 1;
  }
  return i;
}

/**
 * Removes leading and trailing OWS, as an HTTP parser does for a field value.
 *
 * A hand-written loop rather than `/[ \t]+$/`: that regex backtracks quadratically on a long run of
 * spaces not at the end, which would let one header burn CPU (ReDoS).
 */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text[start])) {
    start += 1;
  }
  while (end > start && isOws(text[end - 1])) {
    end -= 1;
  }
  return text.slice(start, end);
}

/** `true` when the whole string is an RFC 6750 §2.1 b64token (`1*( ALPHA / DIGIT / "-._~+/" ) *"="`). */
export function isB64token(text: string): boolean {
  return text.length > 0 && scanToken68(text, 0) === text.length;
}

/** C0 controls and DEL: RFC 5234 CTL. */
export function isControlCode(code: number): boolean {
  return code <= 0x1f || code === 0x7f;
}

/** `true` when the string holds an RFC 5234 CTL (U+0000–U+001F or U+007F). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    if (isControlCode(text.charCodeAt(i))) {
      return true;
    }
  }
  return false;
}

/**
 * Characters allowed inside a quoted-string as qdtext or after a backslash in a quoted-pair: HTAB, SP,
 * VCHAR, obs-text. Code units at or above U+0080 count as obs-text: the input is a JS string that
 * may already have been decoded from octets, and `quoteString` passes non-ASCII through unchanged.
 * (`"` and the backslash are VCHAR; the caller has already given the unescaped ones their meaning.)
 */
function isQuotedChar(code: number): boolean {
  return code === 0x09 || !isControlCode(code);
}

/** A parsed quoted-string: its unescaped value and the index just after the closing quote. */
export interface QuotedString {
  readonly value: string;
  readonly end: number;
}

/**
 * Parses the RFC 9110 §5.6.4 quoted-string that starts at `from` (which must be `"`), undoing
 * quoted-pairs. `null` when it is unterminated or holds a control character.
 */
export function parseQuotedString(text: string, from: number): QuotedString | null {
  if (text[from] !== '"') {
    return null;
  }
  let value = '';
  let i = from + 1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') {
      return { value, end: i + 1 };
    }
    const escaped = ch === '\\';
    const next = escaped ? i + 1 : i;
    if (next >= text.length || !isQuotedChar(text.charCodeAt(next))) {
      return null;
    }
    value += text.charAt(next);
    i = next + 1;
  }
  return null;
}
