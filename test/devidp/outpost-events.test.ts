import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { OUTPOST_INSTRUCTION } from '../../src/devidp/index.js';
import type { DevIdp } from '../../src/devidp/index.js';
import { HELLO, OUTPOST_UA, OutpostSocket, startOutpostIdp } from './outpost-support.js';

const ACK = { instruction: 0, args: {} };

describe('mimic authentik outpost websocket', () => {
  let idp: DevIdp;
  const sockets: OutpostSocket[] = [];

  async function connect(options: Parameters<typeof OutpostSocket.open>[1] = {}): Promise<OutpostSocket> {
    const socket = await OutpostSocket.open(idp, options);
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    idp = await startOutpostIdp();
  });
  afterAll(() => idp.close());
  beforeEach(() => idp.outpost.refuseToken(false));
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.ws.terminate();
    await expect.poll(() => idp.outpost.connections().filter((c) => c.state === 'open')).toEqual([]);
    idp.outpost.resetRecords();
  });

  it.each([
    ['a wrong token', { token: 'not-the-token' }],
    ['an unknown outpost pk', { pk: '00000000-0000-4000-8000-000000000000' }],
  ])('refuses the handshake with 403 for %s and records it', async (_name, options) => {
    await expect(OutpostSocket.open(idp, options)).rejects.toMatchObject({ status: 403 });
    expect(idp.outpost.connections()).toEqual([
      expect.objectContaining({ authorized: false, state: 'refused', userAgent: OUTPOST_UA, closeCode: null }),
    ]);
  });

  it('refuses every handshake while refuseToken is on', async () => {
    idp.outpost.refuseToken(true);
    await expect(OutpostSocket.open(idp)).rejects.toMatchObject({ status: 403 });
    idp.outpost.refuseToken(false);
    await connect();
    expect(idp.outpost.connections().map((c) => c.state)).toEqual(['refused', 'open']);
  });

  it('records the handshake and acknowledges a hello', async () => {
    const socket = await connect({ instanceUuid: 'aaaaaaaa-1111-4222-8333-444444444444', attempt: 3 });
    const connection = await idp.outpost.waitForConnection((c) => c.instanceUuid === 'aaaaaaaa-1111-4222-8333-444444444444');
    expect(connection).toMatchObject({ attempt: 3, authorized: true, state: 'open', userAgent: OUTPOST_UA, closedAt: null });
    expect(idp.outpost.websocketUrl).toBe(`${idp.url.replace('http', 'ws')}/ws/outpost/${idp.outpost.pk}/`);

    socket.send(HELLO);
    expect(await socket.receive(1)).toEqual([ACK]);
    expect(idp.outpost.messages()).toEqual([
      expect.objectContaining({ connectionId: connection.id, instanceUuid: connection.instanceUuid, message: HELLO, malformed: false }),
    ]);
  });

  it('records a missing attempt as null', async () => {
    await connect();
    expect((await idp.outpost.waitForConnection()).attempt).toBeNull();
  });

  it('acknowledges every message but an ACK', async () => {
    const socket = await connect();
    socket.send(ACK);
    socket.send({ instruction: 3, args: { sub_type: 'whatever' } });
    socket.send(HELLO);
    await idp.outpost.waitForMessage((m) => m.message?.instruction === OUTPOST_INSTRUCTION.HELLO);
    expect(await socket.receive(2)).toEqual([ACK, ACK]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.received).toHaveLength(2);
    expect(idp.outpost.messages().map((m) => m.message?.instruction)).toEqual([0, 3, 1]);
  });

  it('sends TRIGGER_UPDATE to every open socket', async () => {
    const [one, two] = [await connect(), await connect()];
    expect(idp.outpost.triggerUpdate()).toBe(2);
    expect(await one.receive(1)).toEqual([{ instruction: 2, args: {} }]);
    expect(await two.receive(1)).toEqual([{ instruction: 2, args: {} }]);
  });

  it('sends SESSION_END with the session id, as authentik forwards the event', async () => {
    const socket = await connect();
    const sid = 'a'.repeat(64);
    expect(idp.outpost.endSession(sid)).toBe(1);
    expect(await socket.receive(1)).toEqual([{ instruction: 4, args: { type: 'event.session.end', session_id: sid } }]);
  });

  it('ignores a malformed message without acknowledging it and keeps the connection open', async () => {
    const socket = await connect();
    socket.send('{not json');
    socket.send('[1, 2]');
    socket.send(JSON.stringify({ instruction: 'one', args: {} }));
    await idp.outpost.waitForMessage((m) => m.raw.includes('"one"'));
    expect(idp.outpost.messages().map((m) => [m.raw, m.malformed, m.message])).toEqual([
      ['{not json', true, undefined],
      ['[1, 2]', true, undefined],
      ['{"instruction":"one","args":{}}', true, undefined],
    ]);
    socket.send(HELLO);
    expect(await socket.receive(1)).toEqual([ACK]);
    expect(idp.outpost.connections()[0]?.state).toBe('open');
  });

  it('sends raw text frames as-is', async () => {
    const socket = await connect();
    expect(idp.outpost.sendRaw('{"instruction": 2')).toBe(1);
    await expect.poll(() => socket.received).toEqual(['{"instruction": 2']);
  });

  it('drops every connection like a network failure, then takes the reconnect', async () => {
    const socket = await connect({ instanceUuid: 'bbbbbbbb-1111-4222-8333-444444444444' });
    expect(idp.outpost.dropConnections()).toBe(1);
    // 1006: the connection ended without a close frame.
    expect(await socket.closed()).toBe(1006);
    const dropped = await idp.outpost.waitForConnection((c) => c.state === 'closed');
    expect(dropped).toMatchObject({ closeCode: 1006, closedAt: expect.any(Date) });
    expect(idp.outpost.triggerUpdate()).toBe(0);

    await connect({ instanceUuid: 'bbbbbbbb-1111-4222-8333-444444444444', attempt: 1 });
    const again = await idp.outpost.waitForConnection((c) => c.attempt === 1);
    expect(again).toMatchObject({ state: 'open', instanceUuid: 'bbbbbbbb-1111-4222-8333-444444444444' });
  });

  it('records a clean close by the outpost', async () => {
    const socket = await connect();
    socket.close();
    expect(await idp.outpost.waitForConnection((c) => c.state === 'closed')).toMatchObject({ closeCode: 1000 });
  });

  it('rejects a wait that times out', async () => {
    await expect(idp.outpost.waitForMessage((m) => m.message?.instruction === 42, 50)).rejects.toThrow(/timed out after 50 ms/);
  });

  it('closes open sockets when the IdP closes', async () => {
    const other = await startOutpostIdp();
    const socket = await OutpostSocket.open(other);
    await other.close();
    expect(await socket.closed()).toBe(1006);
  });
});
