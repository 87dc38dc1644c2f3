/**
 * Bodies of the responses Portcullis writes itself: a small page for browsers, JSON for
 * everything else. A page names the application and, for a GET, offers to try the same address
 * again: an address on the application, built from its externalHost, never from the request's
 * Host. Nothing here ever names an internal host or echoes a credential. Operators may replace
 * the pages (`pagesDir`); every value put into a template is HTML-escaped.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortcullisError } from '../errors/index.js';

export interface ErrorBody {
  readonly status: number;
  /** A stable machine-readable code, e.g. `unauthorized`, `bad_gateway`. */
  readonly error: string;
  /** A sentence for people. */
  readonly message: string;
}

/** What a page may say besides the error: whose page it is, and where to try again. */
export interface PageContext {
  readonly application: string | null;
  /** An absolute URL on the application, or null when retrying makes no sense (not a GET). */
  readonly retryUrl: string | null;
}

export interface PageTemplates {
  readonly error: string;
  readonly signedOut: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] as string);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1c2430; --muted: #5b6675; --bg: #f4f6f9; --card: #fff; --accent: #2f5fd0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --muted: #a3acb9; --bg: #12161c; --card: #1b2129; --accent: #7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(32rem, calc(100% - 2rem)); background: var(--card); border-radius: 12px; padding: 2rem 2.25rem;
  box-shadow: 0 1px 3px rgb(0 0 0 / 8%), 0 8px 24px rgb(0 0 0 / 6%); }
.app { margin: 0 0 1.25rem; font-size: .8rem; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); }
.status { margin: 0; font-size: .9rem; color: var(--muted); }
h1 { margin: .25rem 0 .75rem; font-size: 1.5rem; line-height: 1.25; }
p.message { margin: 0 0 1.5rem; }
a.retry { display: inline-block; padding: .55rem 1.1rem; border-radius: 8px; background: var(--accent); color: #fff; text-decoration: none; font-weight: 600; }
footer { margin-top: 1.75rem; font-size: .75rem; color: var(--muted); }
`;

const BUILT_IN_ERROR = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title><style>${STYLE}</style></head>
<body><main>
{{application_line}}<p class="status">{{status}}</p>
<h1>{{title}}</h1>
<p class="message">{{message}}</p>
{{retry_link}}
<footer>Portcullis</footer>
</main></body></html>
`;

export const BUILT_IN_PAGES: PageTemplates = { error: BUILT_IN_ERROR, signedOut: BUILT_IN_ERROR };

/**
 * The templates of `pagesDir`: `error.html` and `signed-out.html`, each optional (the built-in
 * page stands in). Read once, when the configuration is taken into use.
 * @throws PortcullisError PCL_CONFIG_UNREADABLE naming pagesDir when a template cannot be read
 */
export function loadPageTemplates(dir: string): PageTemplates {
  if (dir === '') return BUILT_IN_PAGES;
  return { error: templateIn(dir, 'error.html') ?? BUILT_IN_ERROR, signedOut: templateIn(dir, 'signed-out.html') ?? BUILT_IN_ERROR };
}

function templateIn(dir: string, name: string): string | null {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PortcullisError('PCL_CONFIG_UNREADABLE', `pagesDir: cannot read ${join(dir, name)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** Fills a template; values are escaped, and only the links built here are markup. */
export function htmlPage(body: ErrorBody, context: PageContext = { application: null, retryUrl: null }, template: string = BUILT_IN_ERROR): string {
  const title = body.error.replace(/_/g, ' ');
  const values: Record<string, string> = {
    status: String(body.status),
    title: escapeHtml(title.charAt(0).toUpperCase() + title.slice(1)),
    message: escapeHtml(body.message),
    application: escapeHtml(context.application ?? ''),
    application_line: context.application === null ? '' : `<p class="app">${escapeHtml(context.application)}</p>\n`,
    retry_url: escapeHtml(context.retryUrl ?? ''),
    retry_link: context.retryUrl === null ? '' : `<a class="retry" href="${escapeHtml(context.retryUrl)}">Try again</a>`,
  };
  return template.replace(/\{\{([a-z_]+)\}\}/g, (whole, name: string) => values[name] ?? whole);
}

export function jsonBody(body: ErrorBody): string {
  return JSON.stringify({ error: body.error, message: body.message });
}
