/**
 * The IPC conventions between a quancun process and the parent that forked it (the chaos harness, a test): the
 * child says it is ready with what the parent needs (ports, ids), the parent waits for that or for the child's end.
 * A process started from a shell has no IPC channel and only prints its line.
 */
import type { ChildProcess } from 'node:child_process';
import type { IpcPort } from './card-field-ipc.ts';

export interface ReadyMessage {
  t: 'ready';
  [key: string]: unknown;
}

/** The IPC channel to the parent, when this process was forked with one. */
export function parentPort(): IpcPort | null {
  if (!process.send) return null;
  return {
    send: (m) => {
      if (process.connected) process.send!(m);
    },
    on: (e, l) => process.on(e, l),
    off: (e, l) => process.off(e, l),
  };
}

/** Tells a parent (if any) and the operator that this process serves now. */
export function announceReady(line: string, details: Record<string, unknown> = {}): void {
  console.log(line);
  parentPort()?.send({ t: 'ready', ...details } satisfies ReadyMessage);
}

/** Resolves with the child's ready message; rejects with its output if it ends first. */
export function childReady(child: ChildProcess, output: () => string): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || (m as { t?: unknown }).t !== 'ready') return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(m as ReadyMessage);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`process ended (${code ?? signal}) before it was ready:\n${output()}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Lets the process end once its work is done: an open IPC channel alone keeps Node running. */
export function releaseParent(): void {
  if (process.connected) process.disconnect();
}
