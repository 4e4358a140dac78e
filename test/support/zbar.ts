/** zbarimg (Debian zbar-tools), the independent reader of the QR codes quancun draws: what it decodes from a PNG. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { tempDir } from './temp-dir.ts';

/** Every QR code zbarimg finds in the picture, as its text; none found is an empty list (zbarimg exits 4). */
export async function zbarQrCodes(t: ExecutionContext, png: Buffer): Promise<string[]> {
  const file = join(await tempDir(t, 'quancun-zbar-'), 'image.png');
  await writeFile(file, png);
  try {
    const { stdout } = await promisify(execFile)('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', file]);
    return stdout.split('\n').filter((line) => line !== '');
  } catch (err) {
    if ((err as { code?: unknown }).code === 4) return [];
    throw err;
  }
}
