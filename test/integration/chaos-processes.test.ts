/**
 * The chaos harness's process handling (sim/chaos/processes.ts) with a real child process: a message the harness
 * sends to a child as it kills it fails (Node emits the IPC pipe's `write EPIPE` as the child's 'error' event, seen
 * in a full test run as a chaos series ending INTERNAL: write EPIPE). That is the kill working, not a failed run.
 */
import test from 'ava';
import { kill, spawnNode } from '../../sim/chaos/processes.ts';

test('a send that fails while the harness kills a child: kill still resolves once it is gone, the failure kept in its output', async (t) => {
  const proc = spawnNode(['-e', 'process.on("message", () => {}); process.send({ t: "ready" });']);
  await proc.ready;
  const killed = kill(proc.child);
  // Which send meets the dying pipe is a race of the OS; the event it ends in is this one (errno EPIPE, syscall write).
  proc.child.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
  await killed;
  t.is(proc.child.signalCode, 'SIGKILL');
  t.regex(proc.output(), /\[harness\] write EPIPE/);
});
