/**
 * The browser login: start, callback, sign-out and back-channel logout, authentik's query
 * signatures that reach them from any path, and what each application needs to run them. The
 * room's only public entry.
 */

export { backchannelLogout, finishLogin, finishLoginWith, signOut, startLogin } from './endpoints.js';
export type { LoginRuntime } from './runtime.js';
export { signatureOf, type Signature } from './signatures.js';
