import type { Command } from 'commander';
import { registerInit } from './init.js';
import { registerServe } from './serve.js';

/** Every CLI command group. A new noun adds one line here. */
export const commandRegistrations: Array<(program: Command) => void> = [registerInit, registerServe];
