/**
 * Bodies of the responses Portcullis writes itself: a small HTML page for browsers, JSON
 * for everything else. Nothing here ever names an internal host or echoes a credential.
 */

export interface ErrorBody {
  readonly status: number;
  /** A stable machine-readable code, e.g. `unauthorized`, `bad_gateway`. */
  readonly error: string;
  /** A sentence for people. */
  readonly message: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] as string);
}

export function htmlPage(body: ErrorBody): string {
  const title = `${body.status} ${escapeHtml(body.error.replace(/_/g, ' '))}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>${title}</h1>
<p>${escapeHtml(body.message)}</p>
</body></html>
`;
}

export function jsonBody(body: ErrorBody): string {
  return JSON.stringify({ error: body.error, message: body.message });
}
