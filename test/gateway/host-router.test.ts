/**
 * Host routing remembers its answer per Host spelling; the memo must answer exactly as the
 * lookup does, for known and unknown hosts, and stay right once it has started over.
 */

import { describe, expect, it } from 'vitest';
import { createHostRouter, normalizeHost, type PreparedApplication } from '../../src/gateway/index.js';

// Routing reads only the origin, the mode and the cookie domain of an application.
const app = (name: string, origin: string, mode = 'proxy', cookieDomain = ''): PreparedApplication =>
  ({ name, origin, config: { mode, cookieDomain } }) as unknown as PreparedApplication;

const grafana = app('grafana', 'https://grafana.example.com');
const wiki = app('wiki', 'http://wiki.example.com:8080');
const domain = app('domain', 'https://auth.corp.example', 'forward_domain', '.corp.example');

describe('host router', () => {
  const router = createHostRouter([grafana, wiki, domain]);

  it.each<[string, PreparedApplication | undefined]>([
    ['grafana.example.com', grafana],
    ['GRAFANA.example.com', grafana],
    ['grafana.example.com.', grafana],
    ['grafana.example.com:443', grafana],
    ['wiki.example.com:8080', wiki],
    ['wiki.example.com', wiki],
    ['files.corp.example', domain],
    ['corp.example', domain],
    ['evilcorp.example', undefined],
    ['unknown.example.com', undefined],
    ['grafana.example.com/x', undefined],
    ['', undefined],
  ])('%j → the same application every time', (host, expected) => {
    for (let i = 0; i < 3; i += 1) {
      expect(router.resolve(host)).toBe(expected);
    }
  });

  it('answers right after a flood of invented hosts has filled its memo', () => {
    const flooded = createHostRouter([grafana, wiki]);
    expect(flooded.resolve('grafana.example.com')).toBe(grafana);
    for (let i = 0; i < 3000; i += 1) {
      expect(flooded.resolve(`h${i}.invalid`)).toBeUndefined();
    }
    expect(flooded.resolve('grafana.example.com')).toBe(grafana);
    expect(flooded.resolve('wiki.example.com:8080')).toBe(wiki);
    expect(flooded.resolve('h1.invalid')).toBeUndefined();
  });
});

describe('normalizeHost', () => {
  // It remembers its answers per spelling (routing and forward auth normalize on every request).
  const cases: [string, string | null][] = [
    ['Grafana.Example.COM', 'grafana.example.com'],
    ['grafana.example.com.:8443', 'grafana.example.com:8443'],
    [' [::1]:80 ', '[::1]:80'],
    ['evil.example/path', null],
    ['', null],
  ];

  it('answers the same the first time, from its memo, and after a flood has made it start over', () => {
    const all = () => cases.map(([host]) => normalizeHost(host));
    const expected = cases.map(([, answer]) => answer);
    expect(all()).toEqual(expected);
    expect(all()).toEqual(expected);
    for (let i = 0; i < 3000; i += 1) normalizeHost(`H${i}.Invalid.`);
    expect(normalizeHost('H2999.Invalid.')).toBe('h2999.invalid');
    expect(all()).toEqual(expected);
  });
});
