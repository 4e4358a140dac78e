#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: one tree for the board, the gateway and development.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
