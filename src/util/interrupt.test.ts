import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interrupted, interruptOnSignals } from './interrupt.ts';

test('interruptOnSignals: the first signal aborts (and says so), the second exits', () => {
  const lines: string[] = [];
  let exits = 0;
  // SIGUSR2 stands in for Ctrl-C so the test runner's own SIGINT handling is untouched.
  const signal = interruptOnSignals((l) => lines.push(l), { signals: ['SIGUSR2'], exit: () => { exits++; } });
  assert.equal(signal.aborted, false);
  process.emit('SIGUSR2');
  assert.equal(signal.aborted, true);
  assert.ok(signal.reason instanceof Interrupted);
  assert.equal((signal.reason as Interrupted).exitCode, 130);
  assert.deepEqual(lines, ['stopping after this batch (again to quit at once)…']);
  assert.equal(exits, 0);
  process.emit('SIGUSR2');
  assert.equal(exits, 1);
  assert.equal(lines.length, 1);
});

test('interruptOnSignals: each call has its own signal', () => {
  const a = interruptOnSignals(() => {}, { signals: ['SIGUSR2'], exit: () => {} });
  const b = interruptOnSignals(() => {}, { signals: ['SIGWINCH'], exit: () => {} });
  process.emit('SIGWINCH');
  assert.equal(a.aborted, false);
  assert.equal(b.aborted, true);
});
