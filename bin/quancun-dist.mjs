#!/usr/bin/env node
// The compiled CLI (`npm run build` writes dist/): what a board runs, with no TypeScript loader in memory.
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
