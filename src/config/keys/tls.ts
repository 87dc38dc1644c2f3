/** `tls`: the certificates of the HTTPS listener. */

import { field } from '../values/field.js';
import { list, string } from '../values/scalars.js';
import { mapping, withRule } from '../values/mapping.js';

const certificateKeys = mapping({
  certFile: field(string(), { default: '', description: 'PEM certificate chain file (relative to the configuration file\'s folder).' }),
  keyFile: field(string(), { default: '', description: 'PEM private key file.' }),
  cert: field(string(), { default: '', description: 'PEM certificate chain, inline.' }),
  key: field(string({ secret: true }), { default: '', description: 'PEM private key, inline. Never shown in messages.' }),
});

/** PEM as text, or the file that holds it: exactly one of the two. */
export const certificate = withRule(certificateKeys, ({ certFile, keyFile, cert, key }, ctx) => {
  const files = certFile !== '' || keyFile !== '';
  const inline = cert !== '' || key !== '';
  if (files === inline) ctx.report([], 'expected either certFile and keyFile, or cert and key');
  else if (files && (certFile === '' || keyFile === '')) ctx.report([certFile === '' ? 'certFile' : 'keyFile'], 'required with the other');
  else if (inline && (cert === '' || key === '')) ctx.report([cert === '' ? 'cert' : 'key'], 'required with the other');
});

export const tls = mapping({
  certificates: field(list(certificate), {
    default: [],
    description: 'Certificates; each serves the host names it names (SAN/CN). Clients must send SNI.',
  }),
});
