/**
 * `kind: time` — allowed on the listed days and/or within the listed hours, read on the wall
 * clock of an IANA time zone (so daylight saving time is followed). The end of `hours` is
 * exclusive; a range whose end is before its start crosses midnight, and then belongs to the
 * day it started on: `days: [fri]` with `hours: "22:00-06:00"` allows Friday 22:00 to Saturday
 * 05:59.
 */

import { INVALID, show } from '../problems.js';
import type { Invalid } from '../problems.js';
import type { DocumentReader } from '../reader.js';
import { verdict } from '../types.js';
import type { KindSpec } from './kind.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Day = (typeof DAYS)[number];
const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const MINUTES_PER_DAY = 24 * 60;

/** Minutes since local midnight; `end` may be 1440 ("24:00"). */
interface Hours {
  readonly start: number;
  readonly end: number;
}

/** The local weekday (0 = Monday) and minute of the day in one time zone. */
type WallClock = (now: Date) => { readonly day: number; readonly minute: number };

export const timeKind: KindSpec = {
  keys: ['timezone', 'days', 'hours'],
  compile(reader) {
    const clock = readTimeZone(reader);
    const days = readDays(reader);
    const hours = readHours(reader);
    if (days === undefined && hours === undefined) reader.fail('', 'expected days, hours or both');
    if (clock === INVALID || days === INVALID || hours === INVALID || (days === undefined && hours === undefined)) {
      return INVALID;
    }
    const allowedDays = days === undefined ? null : new Set(days.map((day) => DAYS.indexOf(day)));
    return ({ now }) => verdict(withinWindow(clock(now), allowedDays, hours ?? null));
  },
};

/** Whether a wall-clock instant falls in the window. */
function withinWindow(
  at: { readonly day: number; readonly minute: number },
  days: ReadonlySet<number> | null,
  hours: Hours | null,
): boolean {
  let windowDay = at.day;
  if (hours !== null) {
    if (hours.start < hours.end) {
      if (at.minute < hours.start || at.minute >= hours.end) return false;
    } else if (at.minute < hours.end) {
      windowDay = (at.day + 6) % 7; // the after-midnight part of yesterday's window
    } else if (at.minute < hours.start) {
      return false;
    }
  }
  return days === null || days.has(windowDay);
}

function readTimeZone(reader: DocumentReader): WallClock | Invalid {
  const zone = reader.required('timezone');
  if (zone === INVALID) return INVALID;
  const expected = `expected an IANA time zone such as "Europe/Berlin", got ${show(zone)}`;
  if (typeof zone !== 'string' || zone === '') return reader.fail('timezone', expected);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    return reader.fail('timezone', expected);
  }
  return (now) => {
    let day = 0;
    let minute = 0;
    for (const part of format.formatToParts(now)) {
      if (part.type === 'weekday') day = WEEKDAY_INDEX[part.value] ?? 0;
      else if (part.type === 'hour') minute += Number(part.value) * 60;
      else if (part.type === 'minute') minute += Number(part.value);
    }
    return { day, minute };
  };
}

function readDays(reader: DocumentReader): readonly Day[] | Invalid | undefined {
  const seen = new Set<string>();
  return reader.list(
    'days',
    { expected: `a list of days (${DAYS.join(', ')})`, empty: 'expected at least one day (omit days to allow every day)' },
    (value, at) => {
      if (typeof value !== 'string' || !(DAYS as readonly string[]).includes(value)) {
        return reader.problems.add(at, `expected one of ${DAYS.join(', ')}, got ${show(value)}`);
      }
      if (seen.has(value)) return reader.problems.add(at, `${show(value)} is listed twice`);
      seen.add(value);
      return value as Day;
    },
    'optional',
  );
}

const HOURS = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

function readHours(reader: DocumentReader): Hours | Invalid | undefined {
  if (!reader.has('hours')) return undefined;
  const value = reader.optional('hours');
  const match = typeof value === 'string' ? HOURS.exec(value) : null;
  const start = match === null ? null : minuteOf(match[1], match[2], false);
  const end = match === null ? null : minuteOf(match[3], match[4], true);
  if (start === null || end === null) {
    return reader.fail('hours', `expected a range "HH:MM-HH:MM" (24-hour clock, end exclusive) such as "08:00-18:00", got ${show(value)}`);
  }
  if (start === end % MINUTES_PER_DAY) {
    return reader.fail('hours', `expected a range of non-zero length, got ${show(value)} (omit hours to allow the whole day)`);
  }
  return { start, end };
}

/** "HH", "MM" → minutes since midnight; "24:00" only as an end. */
function minuteOf(hh: string | undefined, mm: string | undefined, isEnd: boolean): number | null {
  const h = Number(hh);
  const m = Number(mm);
  if (isEnd && h === 24 && m === 0) return MINUTES_PER_DAY;
  return h <= 23 && m <= 59 ? h * 60 + m : null;
}
