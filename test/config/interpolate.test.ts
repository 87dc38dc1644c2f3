import { describe, expect, it } from 'vitest';
import { SECRET, parseText, problemsOfText } from './helpers.js';

/** A valid configuration with `extra` lines added to its only application. */
function withApp(extra: string): string {
  return `
secret: "\${PORTCULLIS_SECRET}"
identity:
  issuer: "https://auth.example.com/"
  clientId: portcullis
applications:
  - name: app
    externalHost: "https://app.example.com"
    internalHost: "\${UPSTREAM:-http://127.0.0.1:3000}"
${extra.replace(/^/gm, '    ')}
`;
}

const ENV = { PORTCULLIS_SECRET: SECRET };

function headers(text: string, env: Record<string, string | undefined>): Readonly<Record<string, string>> | undefined {
  return parseText(text, { ...ENV, ...env }).applications[0]?.additionalHeaders;
}

describe('interpolation', () => {
  it.each([
    ['a set variable', 'X-A: "${A}"', { A: 'value' }, 'value'],
    ['several variables and text', 'X-A: "${A}-${B}!"', { A: 'one', B: 'two' }, 'one-two!'],
    ['an empty variable', 'X-A: "[${A}]"', { A: '' }, '[]'],
    ['a default for an unset variable', 'X-A: "${A:-fallback value}"', {}, 'fallback value'],
    ['a default for an empty variable', 'X-A: "${A:-fallback}"', { A: '' }, 'fallback'],
    ['a set variable over its default', 'X-A: "${A:-fallback}"', { A: 'set' }, 'set'],
    ['an empty default', 'X-A: "[${A:-}]"', {}, '[]'],
    ['a default with colons and slashes', 'X-A: "${A:-http://x:1/y}"', {}, 'http://x:1/y'],
    ['an escaped reference', 'X-A: "$${A} and $$ and $x"', { A: 'unused' }, '${A} and $$ and $x'],
    ['an escape next to a reference', 'X-A: "$${A}${A}"', { A: 'v' }, '${A}v'],
    ['a value that looks like a reference, not scanned again', 'X-A: "${A}"', { A: '${B}', B: 'no' }, '${B}'],
    ['an unquoted scalar', 'X-A: ${A}', { A: 'plain: value' }, 'plain: value'],
  ])('handles %s', (_what, line, env, expected) => {
    expect(headers(withApp(`additionalHeaders:\n  ${line}`), env)).toEqual({ 'X-A': expected });
  });

  it('keeps a header value holding a newline and a key as one (invalid) value, never a second key', () => {
    expect(problemsOfText(withApp('additionalHeaders: { X-A: "${A}" }'), { ...ENV, A: 'x\nX-B: injected' })).toEqual([
      {
        path: 'applications[0].additionalHeaders.X-A',
        message: 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1',
      },
    ]);
  });

  it('keeps a variable holding YAML structure as one string', () => {
    const text = withApp('').replace('clientId: portcullis', 'clientId: "${CLIENT}"');
    const config = parseText(text, { ...ENV, CLIENT: 'evil\nclientSecret: x' });
    expect(config.applications[0]?.identity.clientId).toBe('evil\nclientSecret: x');
    expect(config.applications[0]?.identity.clientSecret).toBe('');
  });

  it('keeps a variable holding a flow mapping as one string', () => {
    const config = parseText(withApp('').replace('clientId: portcullis', 'clientId: ${CLIENT}'), { ...ENV, CLIENT: '{a: 1}' });
    expect(config.applications[0]?.identity.clientId).toBe('{a: 1}');
  });

  it('interpolates inside lists', () => {
    const text = `${withApp('')}\ntrustedProxies: ["127.0.0.1", "\${PROXY}"]\n`;
    expect(parseText(text, { ...ENV, PROXY: '10.0.0.0/8' }).trustedProxies).toEqual(['127.0.0.1/32', '10.0.0.0/8']);
  });

  it('does not interpolate keys', () => {
    expect(problemsOfText(`${withApp('')}\n\${KEY}: x\n`, { ...ENV, KEY: 'listen' })).toEqual([{ path: '["${KEY}"]', message: 'unknown key' }]);
  });

  it('does not look variables up on the prototype', () => {
    expect(problemsOfText(withApp('additionalHeaders: { X-A: "${constructor}" }'), ENV)).toEqual([
      {
        path: 'applications[0].additionalHeaders.X-A',
        message: 'environment variable constructor is not set (write ${constructor:-default} to give a default)',
      },
    ]);
  });
});

describe('interpolation problems', () => {
  it('names the unset variable and where it appeared, without follow-on problems', () => {
    const text = withApp('').replace('${UPSTREAM:-http://127.0.0.1:3000}', '${UPSTREAM}');
    expect(problemsOfText(text, ENV)).toEqual([
      {
        path: 'applications[0].internalHost',
        message: 'environment variable UPSTREAM is not set (write ${UPSTREAM:-default} to give a default)',
      },
    ]);
  });

  it('reports every unset variable, in every string', () => {
    const text = `${withApp('additionalHeaders: { X-A: "${A}/${B}/${A}" }')}\nlog: { level: "\${LEVEL}" }\n`;
    expect(problemsOfText(text, {})).toEqual([
      { path: 'secret', message: 'environment variable PORTCULLIS_SECRET is not set (write ${PORTCULLIS_SECRET:-default} to give a default)' },
      { path: 'applications[0].additionalHeaders.X-A', message: 'environment variable A is not set (write ${A:-default} to give a default)' },
      { path: 'applications[0].additionalHeaders.X-A', message: 'environment variable B is not set (write ${B:-default} to give a default)' },
      { path: 'log.level', message: 'environment variable LEVEL is not set (write ${LEVEL:-default} to give a default)' },
    ]);
  });

  it.each([
    ['an unterminated reference', 'X-A: "${A"', 'unterminated "${" (write "$${" for a literal "${")'],
    ['an invalid name', 'X-A: "${1A}"', 'invalid variable reference: expected ${NAME} or ${NAME:-default} (write "$${" for a literal "${")'],
    ['an empty reference', 'X-A: "${}"', 'invalid variable reference: expected ${NAME} or ${NAME:-default} (write "$${" for a literal "${")'],
    ['another operator', 'X-A: "${A:=x}"', 'invalid variable reference: expected ${NAME} or ${NAME:-default} (write "$${" for a literal "${")'],
    ['a nested reference', 'X-A: "${A:-${B}}"', 'invalid variable reference: expected ${NAME} or ${NAME:-default} (write "$${" for a literal "${")'],
  ])('reports %s', (_what, line, message) => {
    expect(problemsOfText(withApp(`additionalHeaders:\n  ${line}`), { ...ENV, A: 'a', B: 'b' })).toEqual([
      { path: 'applications[0].additionalHeaders.X-A', message },
    ]);
  });

  it('does not show a default in a problem', () => {
    const problems = problemsOfText(withApp('additionalHeaders:\n  X-A: "${A:-s3cret-default${B}}"'), ENV);
    expect(JSON.stringify(problems)).not.toContain('s3cret');
  });
});
