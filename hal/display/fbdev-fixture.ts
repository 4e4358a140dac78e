/** A stand-in framebuffer for tests and benches: a sysfs-like folder plus a regular file of stride * height bytes. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FbdevOptions } from './fbdev.ts';

export interface FixtureGeometry {
  width: number;
  height: number;
  bitsPerPixel: number;
  stride: number;
}

export async function makeFbFixture(dir: string, name: string, g: FixtureGeometry): Promise<Required<FbdevOptions>> {
  const sysfsRoot = join(dir, 'sys');
  await mkdir(join(sysfsRoot, name), { recursive: true });
  await writeFile(join(sysfsRoot, name, 'virtual_size'), `${g.width},${g.height}\n`);
  await writeFile(join(sysfsRoot, name, 'bits_per_pixel'), `${g.bitsPerPixel}\n`);
  await writeFile(join(sysfsRoot, name, 'stride'), `${g.stride}\n`);
  const device = join(dir, name);
  await writeFile(device, Buffer.alloc(g.stride * g.height));
  return { device, sysfsRoot };
}
