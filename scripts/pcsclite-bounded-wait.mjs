#!/usr/bin/env node
/**
 * npm's postinstall: mends pcsclite 1.0.1 (the PC/SC binding) so that closing a reader or a context cannot hang the
 * process, and builds it again.
 *
 * Why: each reader (and each context) has a thread that waits in SCardGetStatusChange for ever (INFINITE). close()
 * asks pcsc-lite to cancel that wait five times within 50 ms and then joins the thread. pcsc-lite cancels only a wait
 * under way: a thread that had not reached its wait by then (it was woken by the reader's last change, our own
 * disconnect included, and the machine was busy) waits for the next change of that reader, and close() blocks the
 * event loop until then — for ever, with the card left on the reader. Seen on 2026-12-08: `quancun sim load --reader
 * pcsc` stuck in CardReader::Close -> uv_thread_join while its status thread sat in SCardGetStatusChange.
 *
 * The mend: the threads wait in steps of STEP_MS and look again whether close() asked them to stop, so close() returns
 * within one step. A change that comes between two steps is not lost: the next wait starts from the state last
 * reported and returns at once. Nothing else changes. Without pcsclite installed (an optional dependency whose build
 * needs libpcsclite-dev) there is nothing to mend.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STEP_MS = 250;
const MARK = '/* quancun: bounded status wait */';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'node_modules', 'pcsclite');

/** Each file's one INFINITE wait, as pcsclite 1.0.1 has it, and the stepped wait that replaces it. */
const MENDS = [
  {
    file: 'src/cardreader.cpp',
    from: 'result = SCardGetStatusChange(reader->m_status_card_context, INFINITE, &card_reader_state, 1);',
    to: `${MARK}
        do {
            result = SCardGetStatusChange(reader->m_status_card_context, ${STEP_MS}, &card_reader_state, 1);
        } while (result == (LONG)SCARD_E_TIMEOUT && !reader->m_state);
        if (result == (LONG)SCARD_E_TIMEOUT) result = SCARD_E_CANCELLED;`,
  },
  {
    file: 'src/pcsclite.cpp',
    from: `result = SCardGetStatusChange(pcsclite->m_card_context,
                                              INFINITE,
                                              &pcsclite->m_card_reader_state,
                                              1);`,
    to: `${MARK}
                do {
                    result = SCardGetStatusChange(pcsclite->m_card_context, ${STEP_MS}, &pcsclite->m_card_reader_state, 1);
                } while (result == (LONG)SCARD_E_TIMEOUT && !pcsclite->m_state);
                if (result == (LONG)SCARD_E_TIMEOUT) result = SCARD_E_CANCELLED;`,
  },
];

if (!existsSync(join(pkg, 'package.json'))) {
  console.log('pcsclite-bounded-wait: pcsclite is not installed (optional): nothing to mend');
  process.exit(0);
}
const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
if (version !== '1.0.1') {
  console.error(`pcsclite-bounded-wait: written for pcsclite 1.0.1, found ${version}: check its status waits and this script`);
  process.exit(1);
}
for (const { file, from, to } of MENDS) {
  const path = join(pkg, file);
  const source = readFileSync(path, 'utf8');
  if (source.includes(MARK)) continue;
  if (!source.includes(from)) {
    console.error(`pcsclite-bounded-wait: ${file} does not hold the wait this script mends`);
    process.exit(1);
  }
  writeFileSync(path, source.replace(from, to));
}
// A source just mended is newer than the addon built from it, as is one an earlier build did not finish with.
const addon = join(pkg, 'build', 'Release', 'pcsclite.node');
if (!existsSync(addon) || MENDS.some(({ file }) => statSync(join(pkg, file)).mtimeMs > statSync(addon).mtimeMs)) {
  console.log('pcsclite-bounded-wait: building pcsclite with its status waits in steps');
  execFileSync('npm', ['rebuild', 'pcsclite', '--foreground-scripts'], { cwd: root, stdio: 'inherit' });
}
