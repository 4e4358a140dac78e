/**
 * The guest's kernel, initramfs and root disk from the machine's cache (test/board/image/build.sh builds them when
 * absent; scripts/test.sh runs it before its network namespace, where the Debian mirror is out of reach).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUILD_SCRIPT = new URL('./image/build.sh', import.meta.url).pathname;

export interface BoardImage {
  kernel: string;
  initrd: string;
  /** The zstd-compressed ext4 root disk. */
  rootfsZst: string;
}

/**
 * The cached image for the recipe in this checkout, built first if there is none (root and the mirror needed), or
 * the image in QUANCUN_BOARD_IMAGE (a folder laid out as build.sh's), to try one made by hand.
 */
export async function boardImage(): Promise<BoardImage> {
  const dir = process.env.QUANCUN_BOARD_IMAGE ?? (await buildImage());
  return { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'), rootfsZst: join(dir, 'rootfs.ext4.zst') };
}

async function buildImage(): Promise<string> {
  // A build from nothing takes minutes: its progress goes to this process's stderr.
  const child = run('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20 });
  child.child.stderr?.pipe(process.stderr);
  return (await child).stdout.trim();
}

/** Unpacks the root disk for one boot (about 2 s; sparse). QEMU then writes only to its snapshot overlay. */
export async function unpackRootfs(image: BoardImage, into: string): Promise<string> {
  const path = join(into, 'rootfs.ext4');
  await run('zstd', ['-d', '-q', '--sparse', '-o', path, image.rootfsZst]);
  return path;
}
