/**
 * A git smart-HTTP server for tests: git's own `git http-backend` (CGI) behind a small Node
 * HTTP server, serving the bare repositories under one folder. It records the headers of each
 * request, so a test can tell what reached the upstream.
 */

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GIT = '/usr/bin/git';
const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface GitHttpServer {
  readonly url: string;
  /** Headers of every request, in order. */
  readonly received: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Creates `<root>/<name>.git` with one commit holding `README` = `content`. */
export function bareRepository(name: string, content: string): string {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-git-'));
  const work = join(root, 'work');
  const git = (args: string[], cwd = work) => execFileSync(GIT, args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root } });
  execFileSync(GIT, ['init', '-q', '-b', 'main', work], { stdio: 'pipe' });
  execFileSync('sh', ['-c', `printf '%s' "$1" > README`, 'sh', content], { cwd: work });
  git(['add', 'README']);
  git(['-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'first']);
  git(['clone', '-q', '--bare', work, join(root, `${name}.git`)], root);
  return root;
}

export async function startGitHttpServer(projectRoot: string): Promise<GitHttpServer> {
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    received.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://git.invalid');
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] === undefined ? {} : { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) }),
      },
    });
    req.pipe(cgi.stdin);
    // CGI output: header lines, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const separator = head[end] === 0x0d ? 4 : 2;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      headersDone = true;
      res.write(head.subarray(end + separator));
    });
    cgi.on('close', () => res.end());
    cgi.on('error', () => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
