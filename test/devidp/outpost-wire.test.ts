import { describe, expect, it } from 'vitest';

import { parseEventMessage } from '../../src/devidp/outpost/messages.js';
import { paginate } from '../../src/devidp/outpost/pagination.js';

const items = ['a', 'b', 'c', 'd', 'e'];

describe('outpost API pagination (Django Paginator arithmetic)', () => {
  it.each([
    ['', { next: 0, previous: 0, count: 5, current: 1, total_pages: 1, start_index: 1, end_index: 5 }, items],
    ['page=1&page_size=2', { next: 2, previous: 0, count: 5, current: 1, total_pages: 3, start_index: 1, end_index: 2 }, ['a', 'b']],
    ['page=2&page_size=2', { next: 3, previous: 1, count: 5, current: 2, total_pages: 3, start_index: 3, end_index: 4 }, ['c', 'd']],
    ['page=3&page_size=2', { next: 0, previous: 2, count: 5, current: 3, total_pages: 3, start_index: 5, end_index: 5 }, ['e']],
    ['page_size=0', { next: 0, previous: 0, count: 5, current: 1, total_pages: 1, start_index: 1, end_index: 5 }, items],
    ['page_size=abc', { next: 0, previous: 0, count: 5, current: 1, total_pages: 1, start_index: 1, end_index: 5 }, items],
    ['page=&page_size=2', { next: 2, previous: 0, count: 5, current: 1, total_pages: 3, start_index: 1, end_index: 2 }, ['a', 'b']],
    ['page=last&page_size=2', { next: 0, previous: 2, count: 5, current: 3, total_pages: 3, start_index: 5, end_index: 5 }, ['e']],
  ])('?%s', (query, pagination, results) => {
    expect(paginate(items, new URLSearchParams(query))).toEqual({ pagination, results, autocomplete: {} });
  });

  it('has a page 1 for an empty list, with indexes 0', () => {
    expect(paginate([], new URLSearchParams('page=1'))).toEqual({
      pagination: { next: 0, previous: 0, count: 0, current: 1, total_pages: 1, start_index: 0, end_index: 0 },
      results: [],
      autocomplete: {},
    });
  });

  it.each(['page=4&page_size=2', 'page=0', 'page=-1', 'page=1.5', 'page=first'])('refuses ?%s as an invalid page', (query) => {
    expect(paginate(items, new URLSearchParams(query))).toBe('invalid');
  });
});

describe('outpost websocket message parsing', () => {
  it.each([
    ['{"instruction":1,"args":{"version":"2025.12.0"}}', { instruction: 1, args: { version: '2025.12.0' } }],
    ['{"instruction":0}', { instruction: 0, args: {} }],
    ['{"instruction":9,"args":{},"extra":1}', { instruction: 9, args: {} }],
  ])('reads %s', (text, message) => {
    expect(parseEventMessage(text)).toEqual(message);
  });

  it.each(['', 'not json', '[1]', 'null', '"hello"', '{"args":{}}', '{"instruction":"1","args":{}}', '{"instruction":1.5}', '{"instruction":1,"args":[]}', '{"instruction":1,"args":null}'])(
    'treats %j as malformed',
    (text) => {
      expect(parseEventMessage(text)).toBeUndefined();
    },
  );
});
