/** siblingModule / moduleExecArgv: sources (.ts, under tsx) and compiled dist (.js) each find their own kind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleExecArgv, siblingModule } from './module_file.ts';

test('a module in src/ names .ts siblings and needs tsx; one in dist/ names .js siblings and needs nothing', () => {
  assert.equal(siblingModule('file:///p/src/jobs/scheduler.ts', './worker_entry'), '/p/src/jobs/worker_entry.ts');
  assert.equal(siblingModule('file:///p/dist/jobs/scheduler.js', './worker_entry'), '/p/dist/jobs/worker_entry.js');
  assert.equal(siblingModule('file:///p/dist/web/bundle.js', './browser/try'), '/p/dist/web/browser/try.js');
  const tsx = moduleExecArgv('file:///p/src/jobs/scheduler.ts');
  assert.equal(tsx[0], '--import');
  assert.match(tsx[1], /node_modules\/tsx\//);
  assert.deepEqual(moduleExecArgv('file:///p/dist/jobs/scheduler.js'), []);
});
