import { describe, expect, it } from 'vitest';
import { compileApplicationPolicies } from '../../src/policy/index.js';
import { allows, identity, request, setOf } from './support.js';

function timePolicy(body: string): string {
  return `name: p\nkind: time\n${body}\n`;
}

// 2024-06-05 is a Wednesday, 2024-06-07 a Friday, 2024-06-08 a Saturday, 2024-06-09 a Sunday;
// Berlin is UTC+2 in June (CEST) and UTC+1 in January (CET).
const WORKING_HOURS = 'timezone: Europe/Berlin\ndays: [mon, tue, wed, thu, fri]\nhours: "08:00-18:00"';

describe('time policies', () => {
  const cases: [string, string, string, boolean][] = [
    ['the first minute of working hours', WORKING_HOURS, '2024-06-05T06:00:00Z', true],
    ['the minute before', WORKING_HOURS, '2024-06-05T05:59:59Z', false],
    ['the last minute of working hours', WORKING_HOURS, '2024-06-05T15:59:59Z', true],
    ['the end is exclusive', WORKING_HOURS, '2024-06-05T16:00:00Z', false],
    ['a Saturday within the hours', WORKING_HOURS, '2024-06-08T10:00:00Z', false],
    ['winter time moves the window', WORKING_HOURS, '2024-01-10T07:00:00Z', true],
    ['winter time, the minute before', WORKING_HOURS, '2024-01-10T06:59:00Z', false],
    ['the day is the local day: Friday 22:30 UTC is Saturday in Berlin', 'timezone: Europe/Berlin\ndays: [sat]', '2024-06-07T22:30:00Z', true],
    ['…and not Friday', 'timezone: Europe/Berlin\ndays: [fri]', '2024-06-07T22:30:00Z', false],
    ['a half-hour zone opens on time', 'timezone: Asia/Kolkata\nhours: "09:00-17:00"', '2024-06-05T03:30:00Z', true],
    ['a half-hour zone, the minute before', 'timezone: Asia/Kolkata\nhours: "09:00-17:00"', '2024-06-05T03:29:00Z', false],
    ['a zone behind UTC: Monday 02:00 UTC is Sunday in New York', 'timezone: America/New_York\ndays: [sun]', '2024-06-10T02:00:00Z', true],
    ['days alone allow the whole day', 'timezone: UTC\ndays: [wed]', '2024-06-05T00:00:00Z', true],
    ['days alone deny other days', 'timezone: UTC\ndays: [wed]', '2024-06-06T00:00:00Z', false],
    ['hours alone apply every day', 'timezone: UTC\nhours: "08:00-18:00"', '2024-06-09T09:00:00Z', true],
    ['an end of 24:00 includes the last minute', 'timezone: UTC\nhours: "18:00-24:00"', '2024-06-05T23:59:59Z', true],
    ['an end of 24:00 excludes midnight', 'timezone: UTC\nhours: "18:00-24:00"', '2024-06-05T00:00:00Z', false],
  ];
  it.each(cases)('%s', (_, body, at, expected) => {
    expect(allows(timePolicy(body), { now: new Date(at) })).toBe(expected);
  });
});

describe('time ranges that cross midnight', () => {
  const NIGHT = 'timezone: UTC\nhours: "22:00-06:00"';
  const nightCases: [string, boolean][] = [
    ['2024-06-05T21:59:00Z', false],
    ['2024-06-05T22:00:00Z', true],
    ['2024-06-05T23:59:59Z', true],
    ['2024-06-06T00:00:00Z', true],
    ['2024-06-06T05:59:59Z', true],
    ['2024-06-06T06:00:00Z', false],
    ['2024-06-06T12:00:00Z', false],
  ];
  it.each(nightCases)('22:00-06:00 at %s → %s', (at, expected) => {
    expect(allows(timePolicy(NIGHT), { now: new Date(at) })).toBe(expected);
  });

  // A night belongs to the day it started on: Friday's night shift runs into Saturday.
  const FRIDAY_NIGHT = 'timezone: Europe/Berlin\ndays: [fri]\nhours: "22:00-06:00"';
  const fridayCases: [string, string, boolean][] = [
    ['Friday 23:00 Berlin', '2024-06-07T21:00:00Z', true],
    ['Saturday 02:00 Berlin, still Friday night', '2024-06-08T00:00:00Z', true],
    ['Saturday 06:00 Berlin, the night is over', '2024-06-08T04:00:00Z', false],
    ["Friday 02:00 Berlin, Thursday's night", '2024-06-07T00:00:00Z', false],
    ['Saturday 23:00 Berlin', '2024-06-08T21:00:00Z', false],
    ['Friday 21:59 Berlin', '2024-06-07T19:59:00Z', false],
  ];
  it.each(fridayCases)('days [fri], 22:00-06:00: %s → %s', (_, at, expected) => {
    expect(allows(timePolicy(FRIDAY_NIGHT), { now: new Date(at) })).toBe(expected);
  });

  it('a Sunday night runs into Monday', () => {
    const policy = timePolicy('timezone: UTC\ndays: [sun]\nhours: "20:00-04:00"');
    expect(allows(policy, { now: new Date('2024-06-10T03:00:00Z') })).toBe(true);
    expect(allows(policy, { now: new Date('2024-06-09T03:00:00Z') })).toBe(false);
  });
});

describe('the clock', () => {
  it('is read at each evaluation, not when the policy is compiled', () => {
    let now = new Date('2024-06-05T10:00:00Z');
    const set = setOf({ 'p.yaml': timePolicy('timezone: UTC\nhours: "08:00-18:00"') });
    const app = { name: 'app', policies: { mode: 'all' as const, bindings: [{ policy: 'p', negate: false }] } };
    const policy = compileApplicationPolicies(set, app, 0, { now: () => now });
    expect(policy.evaluate(identity(), request()).allow).toBe(true);
    now = new Date('2024-06-05T20:00:00Z');
    expect(policy.evaluate(identity(), request())).toEqual({ allow: false, reasons: ['p'] });
  });

  it('an invalid date from the clock denies, even through a negated binding', () => {
    const set = setOf({ 'p.yaml': timePolicy('timezone: UTC\nhours: "08:00-18:00"') });
    const app = { name: 'app', policies: { mode: 'all' as const, bindings: [{ policy: 'p', negate: true }] } };
    const decision = compileApplicationPolicies(set, app, 0, { now: () => new Date(Number.NaN) }).evaluate(identity(), request());
    expect(decision.allow).toBe(false);
    expect(decision.allow === false && decision.reasons[0]).toMatch(/^p: evaluation failed: /);
  });
});
