import type { JsonObject, JsonValue } from '../types.js';

export const DEFAULT_PAGE_SIZE = 100;

/** authentik's list envelope (`authentik/api/pagination.py`); `next`/`previous` are page numbers, 0 = none. */
// A type, not an interface: it must be assignable to JsonValue.
export type Page = {
  readonly pagination: {
    readonly next: number;
    readonly previous: number;
    readonly count: number;
    readonly current: number;
    readonly total_pages: number;
    readonly start_index: number;
    readonly end_index: number;
  };
  readonly results: readonly JsonValue[];
  readonly autocomplete: JsonObject;
};

/**
 * One page of `items`, with DRF's PageNumberPagination over Django's Paginator: an empty list
 * still has page 1 (start and end index 0); a missing or empty `page` is 1 and `last` the last
 * page; a page outside 1..total_pages or not a number is 'invalid' (DRF answers 404 "Invalid
 * page."). A missing or unusable `page_size` means the default.
 */
export function paginate(items: readonly JsonValue[], query: URLSearchParams): Page | 'invalid' {
  const pageSize = positiveInteger(query.get('page_size')) ?? DEFAULT_PAGE_SIZE;
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize));
  const rawPage = query.get('page') || '1';
  const page = rawPage === 'last' ? totalPages : positiveInteger(rawPage);
  if (page === undefined || page > totalPages) return 'invalid';
  const start = (page - 1) * pageSize;
  const results = items.slice(start, start + pageSize);
  return {
    pagination: {
      next: page < totalPages ? page + 1 : 0,
      previous: page > 1 ? page - 1 : 0,
      count: items.length,
      current: page,
      total_pages: totalPages,
      start_index: results.length === 0 ? 0 : start + 1,
      end_index: start + results.length,
    },
    results,
    autocomplete: {},
  };
}

function positiveInteger(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 ? n : undefined;
}
