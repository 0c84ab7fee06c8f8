import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCoreEvents, type Core } from '../core/context.js';
import { ChangeWatcher } from './watcher.js';

test("change watcher: stopping a subscription twice leaves the address's later subscribers alone", () => {
  const events = createCoreEvents();
  // Only the events are used while no poll runs (the interval is far longer than the test).
  const watcher = new ChangeWatcher({ events } as unknown as Core, 3_600_000);
  try {
    let woken = 0;
    const offA = watcher.subscribe(7, () => undefined);
    offA();
    const offB = watcher.subscribe(7, () => woken++);
    offA();
    events.mailChanged(7);
    assert.equal(woken, 1);
    offB();
    events.mailChanged(7);
    assert.equal(woken, 1, 'not woken once stopped');
  } finally {
    watcher.close();
  }
});
