/**
 * The HTTPS listener (`tlsListen`; authentik mode: `AUTHENTIK_LISTEN__HTTPS`). It terminates
 * TLS, choosing the certificate by SNI among `tls.certificates` (each serves the names in its
 * SAN, or CN), and hands each decrypted connection to the gateway's HTTP server, so both
 * listeners serve the same applications through the same pipeline. A reload swaps the
 * certificates without dropping a connection.
 */

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server as TlsServer } from 'node:tls';
import type { ListenAddress, TlsCertificate } from '../config/index.js';
import { PortcullisError } from '../errors/index.js';
import { BoundedMemo } from '../memo/index.js';

export interface LoadedCertificate {
  readonly certificate: X509Certificate;
  readonly context: SecureContext;
}

/**
 * Reads and checks every certificate (key matching, PEM readable).
 * @throws PortcullisError PCL_TLS_CERTIFICATE naming `tls.certificates[i]`
 */
export async function loadCertificates(certificates: readonly TlsCertificate[]): Promise<LoadedCertificate[]> {
  return Promise.all(
    certificates.map(async (entry, i) => {
      const where = `tls.certificates[${i}]`;
      try {
        const cert = entry.certFile === '' ? entry.cert : await readFile(entry.certFile, 'utf8');
        const key = entry.keyFile === '' ? entry.key : await readFile(entry.keyFile, 'utf8');
        const certificate = new X509Certificate(cert);
        const context = createSecureContext({ cert, key });
        return { certificate, context };
      } catch (error) {
        // Never the PEM itself in the message: it may be the key.
        const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message.split('\n')[0] : 'unreadable');
        throw new PortcullisError('PCL_TLS_CERTIFICATE', `${where}: the certificate or its key cannot be used (${reason})`, { cause: error });
      }
    }),
  );
}

export class TlsListener {
  readonly #server: TlsServer;
  #certificates: readonly LoadedCertificate[];
  readonly #byName = new BoundedMemo<string, SecureContext | null>(1024);

  constructor(http: HttpServer, certificates: readonly LoadedCertificate[]) {
    this.#certificates = certificates;
    this.#server = createServer({
      SNICallback: (servername, callback) => {
        const context = this.#contextFor(servername);
        if (context === null) callback(new Error(`no certificate for ${servername}`));
        else callback(null, context);
      },
    });
    this.#server.on('secureConnection', (socket) => http.emit('connection', socket));
    // A failed handshake (no SNI, unknown name, plain HTTP on the TLS port) only ends that socket.
    this.#server.on('tlsClientError', (_error, socket) => socket.destroy());
  }

  replace(certificates: readonly LoadedCertificate[]): void {
    this.#certificates = certificates;
    this.#byName.clear();
  }

  listen(address: ListenAddress): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(address.port, address.host, () => {
        this.#server.off('error', reject);
        const bound = this.#server.address() as AddressInfo;
        const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
        resolve(`https://${host}:${bound.port}`);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
    });
  }

  #contextFor(servername: string): SecureContext | null {
    const name = servername.toLowerCase();
    const known = this.#byName.get(name);
    if (known !== undefined) return known;
    const match = this.#certificates.find(({ certificate }) => certificate.checkHost(name) !== undefined)?.context ?? null;
    return this.#byName.remember(name, match);
  }
}
