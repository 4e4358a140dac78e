#!/usr/bin/env node
// The compiled CLI (`npm run build` writes dist/): what a board runs, with no TypeScript loader in memory.
const { main } = await import('../dist/cli/main.js');
// A command returns once its work is done and stopped (journals synced, devices closed): the process ends then, even
// if a native addon left a handle open (pcsclite can, docs/pcsc-testing.md). Output to pipes is synchronous on Linux.
process.exit(await main(process.argv.slice(2)));
