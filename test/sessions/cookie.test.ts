import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSessionCookie, encodeSessionCookie, SessionCookieDecoder } from '../../src/sessions/index.js';
import { SECRET } from './fixtures.js';

const ID = Buffer.alloc(32, 7).toString('base64url');
const OTHER_ID = Buffer.alloc(32, 9).toString('base64url');
const GOOD = encodeSessionCookie(ID, 'grafana', SECRET);
const [, GOOD_MAC = ''] = GOOD.split('.');

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The last of 43 characters carries 4 bits and 2 zero padding bits: setting one decodes the same. */
const NON_CANONICAL_MAC = GOOD_MAC.slice(0, -1) + BASE64URL[BASE64URL.indexOf(GOOD_MAC.slice(-1)) ^ 1];

function flip(text: string, at: number): string {
  const replacement = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

describe('session cookie value', () => {
  it('is <id>.<base64url HMAC-SHA256(secret, application + "\\n" + id)>', () => {
    const mac = createHmac('sha256', SECRET).update(`grafana\n${ID}`).digest('base64url');
    expect(GOOD).toBe(`${ID}.${mac}`);
    expect(GOOD).toHaveLength(87);
  });

  it('round-trips to the session id', () => {
    expect(Buffer.from(NON_CANONICAL_MAC, 'base64url')).toEqual(Buffer.from(GOOD_MAC, 'base64url'));
    expect(decodeSessionCookie(GOOD, 'grafana', SECRET)).toBe(ID);
  });

  it.each<[string, string, string?, string?]>([
    ['a tampered id', flip(GOOD, 3)],
    ['a tampered MAC', flip(GOOD, 60)],
    ['a tampered last MAC character', flip(GOOD, 86)],
    ['a non-canonical last MAC character (same decoded bytes)', `${ID}.${NON_CANONICAL_MAC}`],
    ['a truncated value', GOOD.slice(0, -1)],
    ['only the id', ID],
    ['the id and a dot', `${ID}.`],
    ['a value with padding', `${GOOD}=`],
    ['another application’s cookie', GOOD, 'wiki'],
    ['a cookie made with another secret', GOOD, 'grafana', 'another-secret-that-is-also-32-bytes-long'],
    ['another id with this id’s MAC', `${OTHER_ID}.${GOOD_MAC}`],
    ['an empty value', ''],
    ['a huge value', 'A'.repeat(100_000)],
    ['a value of the right length without a dot', GOOD.replace('.', 'A')],
    ['standard base64 characters', `${'+'.repeat(43)}.${'/'.repeat(43)}`],
    ['non-ASCII characters', `${'é'.repeat(43)}.${GOOD_MAC}`],
    ['surrounding whitespace', ` ${GOOD.slice(1)}`],
    ['a quoted value', `"${GOOD.slice(2)}"`],
    ['a case-changed MAC', `${ID}.${GOOD_MAC.toUpperCase() === GOOD_MAC ? GOOD_MAC.toLowerCase() : GOOD_MAC.toUpperCase()}`],
  ])('refuses %s', (_, value, application = 'grafana', secret = SECRET) => {
    expect(decodeSessionCookie(value, application, secret)).toBeNull();
  });

  it('binds the MAC to the application name exactly (no delimiter games)', () => {
    const forged = encodeSessionCookie(ID, 'graf', SECRET);
    expect(decodeSessionCookie(forged, 'grafana', SECRET)).toBeNull();
    expect(decodeSessionCookie(encodeSessionCookie(ID, 'a\nb', SECRET), 'a', SECRET)).toBeNull();
  });

  it('refuses to encode something that is not a session id', () => {
    expect(() => encodeSessionCookie('short', 'grafana', SECRET)).toThrow(RangeError);
    expect(() => encodeSessionCookie(`${ID.slice(1)};`, 'grafana', SECRET)).toThrow(RangeError);
  });
});

describe('SessionCookieDecoder (one application, remembering verified values)', () => {
  it('answers as decodeSessionCookie does, the first time and every time after', () => {
    const decoder = new SessionCookieDecoder('grafana', SECRET);
    const values = [GOOD, `${ID}.${NON_CANONICAL_MAC}`, flip(GOOD, 50), encodeSessionCookie(ID, 'wiki', SECRET), encodeSessionCookie(OTHER_ID, 'grafana', SECRET), '', 'x'];
    for (let round = 0; round < 3; round += 1) {
      for (const value of values) {
        expect(decoder.decode(value)).toBe(decodeSessionCookie(value, 'grafana', SECRET));
      }
    }
    expect(decoder.decode(GOOD)).toBe(ID);
  });

  it('keeps answering right past its bound', () => {
    const decoder = new SessionCookieDecoder('grafana', SECRET);
    const ids = Array.from({ length: 10_050 }, (_, i) => Buffer.alloc(32, 0).fill(i % 251, 0, 1).fill(Math.floor(i / 251), 1, 2).toString('base64url'));
    for (const id of ids) {
      expect(decoder.decode(encodeSessionCookie(id, 'grafana', SECRET))).toBe(id);
    }
    // The first values were pushed out of the memo; they are verified again, not lost.
    expect(decoder.decode(encodeSessionCookie(ids[0] as string, 'grafana', SECRET))).toBe(ids[0]);
    expect(decoder.decode(flip(encodeSessionCookie(ids[1] as string, 'grafana', SECRET), 60))).toBeNull();
  });
});
