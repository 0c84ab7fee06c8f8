import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeanSocket, type LeanSocketOps } from './lean-socket.js';

const ops: LeanSocketOps = {
  send: () => undefined,
  end: () => undefined,
  destroy: () => undefined,
  ack: () => undefined,
};

test('LeanSocket listeners: on, once, off and names found on Object.prototype, as an EventEmitter', () => {
  const s = new LeanSocket(1, ops, '127.0.0.1', 1234);
  const seen: string[] = [];
  const onClose = () => void seen.push('close');
  s.on('close', onClose);
  s.once('close', () => void seen.push('close once'));
  s.on('drain', () => void seen.push('drain'));
  assert.equal(s.listenerCount('toString'), 0, 'Object.prototype is not a listener table');
  assert.equal(s.listenerCount('constructor'), 0);
  s.on('toString', () => void seen.push('toString'));
  s.emit('toString');
  s.emit('close');
  s.emit('close');
  s.off('close', onClose);
  s.emit('close');
  s.emit('drain');
  s.removeAllListeners('drain');
  s.emit('drain');
  assert.deepEqual(seen, ['toString', 'close', 'close once', 'close', 'drain']);
  assert.deepEqual(s.eventNames().sort(), ['toString']);
});

test('LeanSocket: data received before a listener is held, then delivered in order', async () => {
  const s = new LeanSocket(2, ops, undefined, undefined);
  s.onData(Buffer.from('a'));
  s.onData(Buffer.from('b'));
  const got: string[] = [];
  s.on('data', (c: Buffer) => void got.push(c.toString()));
  await new Promise((r) => process.nextTick(r));
  assert.deepEqual(got, ['a', 'b']);
});
