/**
 * What an IdP-backed check concluded. `invalid` is a verdict on the credential; `unavailable`
 * means the IdP could not be asked and says nothing about the credential (DESIGN.md §5: an
 * IdP outage is a 503, never "wrong password").
 */

export type Verdict<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: 'invalid'; readonly reason: string }
  | { readonly ok: false; readonly kind: 'unavailable'; readonly reason: string };

export function invalid(reason: string): { readonly ok: false; readonly kind: 'invalid'; readonly reason: string } {
  return { ok: false, kind: 'invalid', reason };
}

export function unavailable(reason: string): { readonly ok: false; readonly kind: 'unavailable'; readonly reason: string } {
  return { ok: false, kind: 'unavailable', reason };
}
