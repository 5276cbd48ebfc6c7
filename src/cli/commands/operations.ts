import type { Command } from 'commander';

/** CLI commands for operations: filled in by the operations work. */
export function registerOperations(_program: Command): void {}
