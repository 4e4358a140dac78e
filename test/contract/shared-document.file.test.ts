/** The shared document contract on a file (the CA registry and console users beside a LevelDB store). */
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../../common/store/shared-json.ts';
import { sharedDocumentContract } from './shared-document.contract.ts';

let dir: string;
let files = 0;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quancun-documents-'));
});
test.after.always(() => rm(dir, { recursive: true, force: true }));

sharedDocumentContract('file', async () => {
  const path = join(dir, `doc-${++files}.json`);
  return { open: () => fileStorage(path), spoil: (text) => writeFile(path, text) };
});
