#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: one tree for the board, the gateway and development.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
// A command returns once its work is done and stopped (journals synced, devices closed): the process ends then, even
// if a native addon left a handle open (pcsclite can, docs/pcsc-testing.md). Output to pipes is synchronous on Linux.
process.exit(await main(process.argv.slice(2)));
